/**
 * `GET /library`: the FITS files on disk, by observation, as paths relative to DATA_DIR, each with
 * its library record's `data_id` (a file placed since the last scan gets its record here, from its
 * headers). With users on, files of records the caller may not see are left out.
 */
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { listLibrary } from '../storage/library.js';
import { canSee } from '../library/record.js';

const LibraryFileSchema = Type.Object({
  file_path: Type.String({ description: 'relative to DATA_DIR; pass it as file_path to the viewer endpoints' }),
  data_id: Type.Union([Type.String(), Type.Null()], { description: "the file's library record (GET /api/jwstdata/{id}); takes the place of file_path anywhere; null only for a file gone while listing" }),
  name: Type.String(),
  size_bytes: Type.Integer(),
  modified_at: Type.String(),
});
const LibraryResponse = Type.Object({
  groups: Type.Array(Type.Object({
    key: Type.String(),
    kind: Type.Union([Type.Literal('observation'), Type.Literal('folder')]),
    files: Type.Array(LibraryFileSchema),
  })),
  file_count: Type.Integer(),
  truncated: Type.Boolean(),
});

export async function libraryRoutes(app: App, ctx: EngineContext): Promise<void> {
  app.get('/library', { schema: { summary: 'FITS files on disk, grouped by observation', response: { 200: LibraryResponse } } }, async (request) => {
    const { groups, truncated } = await listLibrary(ctx.settings.dataDir, { mastDir: ctx.settings.mastDownloadDir, ...(ctx.sandbox.objects ? { objects: ctx.sandbox.objects } : {}) });
    const records = await ctx.library.recordsForPaths(groups.flatMap((g) => g.files.map((f) => f.filePath)));
    const shown = groups.map((g) => ({
      key: g.key,
      kind: g.kind,
      files: g.files.flatMap((f) => {
        const record = records.get(f.filePath);
        if (record && !canSee(request.viewer, record)) return [];
        return [{ file_path: f.filePath, data_id: record?.dataId ?? null, name: f.name, size_bytes: f.sizeBytes, modified_at: f.modifiedAt }];
      }),
    })).filter((g) => g.files.length > 0);
    return { groups: shown, file_count: shown.reduce((n, g) => n + g.files.length, 0), truncated };
  });
}
