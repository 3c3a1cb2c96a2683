/** `GET /library`: the FITS files on disk, by observation, as paths relative to DATA_DIR. */
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { listLibrary } from '../storage/library.js';

const LibraryFileSchema = Type.Object({
  file_path: Type.String({ description: 'relative to DATA_DIR; pass it as file_path to the viewer endpoints' }),
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
  app.get('/library', { schema: { summary: 'FITS files on disk, grouped by observation', response: { 200: LibraryResponse } } }, async () => {
    const { groups, truncated } = await listLibrary(ctx.settings.dataDir, { mastDir: ctx.settings.mastDownloadDir });
    return {
      groups: groups.map((g) => ({
        key: g.key,
        kind: g.kind,
        files: g.files.map((f) => ({ file_path: f.filePath, name: f.name, size_bytes: f.sizeBytes, modified_at: f.modifiedAt })),
      })),
      file_count: groups.reduce((n, g) => n + g.files.length, 0),
      truncated,
    };
  });
}
