/**
 * `jwst-engine download OBS_ID [--product-type] [--calib-level] [--subgroup] [--file NAME]...`: the same download
 * engine as the HTTP API, in this process, with progress bars (total and per file: bytes, speed,
 * ETA). Ctrl-C pauses (bytes and state stay on disk); running the same command again resumes.
 */
import type { Command } from 'commander';
import type cliProgress from 'cli-progress';
import { loadSettings } from '../../config.js';
import { openJobDatabase } from '../../jobs/store-from-settings.js';
import { ONE_SHOT_CHECKPOINT_THREAD_START } from '../../db/sqlite.js';
import { DbJobStore } from '../../jobs/db-store.js';
import { LIBRARY_MIGRATIONS } from '../../library/schema.js';
import { libraryFromSettings } from '../../library/from-settings.js';
import { downloadRecords } from '../../library/job-outputs.js';
import { objectStoreOf } from '../../storage/s3.js';
import { mastClientFromSettings } from '../../mast/index.js';
import { barLayout, etaText, fitName, type BarLayout } from '../progress-format.js';
import { downloadManagerFromSettings, formatBytes, mastClientProductSource, validateObsId, validateProductSelection, type DownloadManager, type Job, type JobProgress } from '../../downloads/index.js';

interface DownloadOpts {
  productType: string;
  calibLevel?: string;
  subgroup?: string;
  ext: string[];
  all?: boolean;
  file: string[];
  mastUrl?: string;
  progress: boolean;
  json?: boolean;
}

function list(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  const out = value.split(',').map((s) => s.trim()).filter(Boolean);
  return out.length ? out : null;
}

function levels(value: string | undefined): number[] | null {
  const items = list(value);
  if (!items) return null;
  const out = items.map(Number);
  if (out.some((n) => !Number.isInteger(n) || n < 0 || n > 4)) throw new Error(`--calib-level: expected levels 0-4 like "2,3", got "${value}"`);
  return out;
}

const sameList = <T>(a: readonly T[] | null, b: readonly T[] | null) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

const sortedOrNull = (names: readonly string[] | null) => (names ? [...names].sort() : null);

/** The unfinished job for the same request, if an earlier run left one. */
async function findResumable(manager: DownloadManager, obsId: string, productType: string, calibLevel: number[] | null, subgroup: string[] | null, extension: string[] | null, files: string[] | null): Promise<Job | undefined> {
  return (await manager.resumable())
    .filter((j) => j.obsId === obsId && sameList(sortedOrNull(j.productFilenames), sortedOrNull(files)))
    // A selection ignores the filters, so only selection-less jobs compare them.
    .filter((j) => files !== null || (j.productType === productType && sameList(j.calibLevel, calibLevel) && sameList(j.extension, extension) && sameList(j.subgroup?.map((s) => s.toUpperCase()) ?? null, subgroup?.map((s) => s.toUpperCase()) ?? null)))
    .at(-1);
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function speedText(p: JobProgress): string {
  return p.speedBytesPerSec > 0 ? `${formatBytes(Math.round(p.speedBytesPerSec))}/s` : '-';
}

/** Bars on a terminal; plain lines otherwise (logs, pipes, tests). */
class ProgressView {
  private readonly multi: cliProgress.MultiBar | undefined;
  private total: cliProgress.SingleBar | undefined;
  private readonly fileBars = new Map<string, cliProgress.SingleBar>();
  private readonly announced = new Set<string>();
  private lastStatus = '';
  private readonly layout: BarLayout;

  /** `bars`: cli-progress, loaded only then (a terminal); plain lines without it. */
  constructor(bars: typeof cliProgress | undefined) {
    // Sized for the terminal (cli-progress' own {eta} prints NULL/INF, so ours is {etaText}).
    this.layout = barLayout(process.stderr.columns);
    if (bars) {
      this.multi = new bars.MultiBar(
        { format: this.layout.format, hideCursor: true, clearOnComplete: false, stopOnComplete: false, barsize: this.layout.barSize, autopadding: true },
        bars.Presets.shades_classic,
      );
    }
  }

  update(p: JobProgress): void {
    if (p.status !== this.lastStatus) {
      this.lastStatus = p.status;
      this.line(`${p.status}: ${p.message}`);
    }
    if (!this.multi) {
      for (const f of p.files) {
        if ((f.status === 'complete' || f.status === 'failed') && !this.announced.has(f.filename)) {
          this.announced.add(f.filename);
          this.line(f.status === 'complete' ? `  ✓ ${f.filename} (${formatBytes(f.totalBytes)}) sha256 ${f.sha256}` : `  ✗ ${f.filename}: ${f.error}`);
        }
      }
      return;
    }
    const totals = { name: fitName('total', this.layout.nameWidth), done: formatBytes(p.downloadedBytes), size: formatBytes(p.totalBytes), speed: speedText(p), etaText: etaText(p.etaSeconds) };
    if (!this.total && p.totalFiles > 0) this.total = this.multi.create(Math.max(1, p.totalBytes), p.downloadedBytes, totals);
    this.total?.setTotal(Math.max(1, p.totalBytes));
    this.total?.update(p.downloadedBytes, totals);
    for (const f of p.files) {
      let bar = this.fileBars.get(f.filename);
      const payload = { name: fitName(f.filename, this.layout.nameWidth), done: formatBytes(f.downloadedBytes), size: formatBytes(f.totalBytes), speed: f.status, etaText: f.status === 'complete' ? '0s' : '--' };
      if (!bar && (f.status === 'downloading' || f.downloadedBytes > 0)) {
        bar = this.multi.create(Math.max(1, f.totalBytes), f.downloadedBytes, payload);
        this.fileBars.set(f.filename, bar);
      }
      bar?.setTotal(Math.max(1, f.totalBytes));
      bar?.update(f.downloadedBytes, payload);
    }
  }

  line(text: string): void {
    if (this.multi) this.multi.log(`${text}\n`);
    else process.stderr.write(`${text}\n`);
  }

  stop(): void {
    this.multi?.stop();
  }
}

export function downloadCommands(program: Command): void {
  program
    .command('download <obs_id>')
    .description('download the products of an observation into MAST_DOWNLOAD_DIR/<obs_id>/ (resumable: Ctrl-C pauses, run again to resume)')
    .option('--product-type <type>', 'SCIENCE, PREVIEW, AUXILIARY, ... or ALL', 'SCIENCE')
    .option('--calib-level <levels>', 'calibration levels, e.g. "2,3" (default: all)')
    .option('--subgroup <names>', 'product subgroups, e.g. "I2D,CAL"')
    .option('-e, --ext <ext>', 'file extension (default fits; "*" for every one); repeatable', collect, [])
    .option('-a, --all', 'every product of the observation (product type ALL, every extension)')
    .option('--file <name>', 'download only this product (a productFilename; repeat for several); the filters above then do not apply', collect, [])
    .option('--mast-url <url>', 'MAST base URL (default: MAST_BASE_URL)')
    .option('--no-progress', 'plain lines instead of progress bars')
    .option('--json', 'print the final progress as JSON on stdout')
    .action(async (obsId: string, o: DownloadOpts) => {
      validateObsId(obsId);
      // the shared product-selection rule (src/mast/product-selection.ts) fills in the defaults
      const productType = o.all ? 'ALL' : o.productType.toUpperCase();
      const extension = o.ext.length > 0 ? o.ext : o.all ? ['*'] : null;
      const calibLevel = levels(o.calibLevel);
      const subgroup = list(o.subgroup);
      const files = o.file.length > 0 ? validateProductSelection(o.file) : null;
      const settings = loadSettings({ ...process.env, ...(o.mastUrl ? { MAST_BASE_URL: o.mastUrl } : {}) });
      const mast = mastClientFromSettings(settings);
      // Job records in the engine's database (DATA_DIR/engine.db, or DATABASE_URL's): this command
      // runs and resumes only its own job; other jobs (maybe an engine's, running now) are left alone.
      // Each downloaded file becomes a library record as the engine's downloads do: in the
      // transaction that saves the file as complete (thumbnails are made when first asked for).
      // One job, then exit: the WAL checkpoint thread only if it commits 1 MiB, not amid the transfer.
      const db = await openJobDatabase(settings, undefined, [LIBRARY_MIGRATIONS], ONE_SHOT_CHECKPOINT_THREAD_START);
      const objects = objectStoreOf(settings.storage);
      const library = await libraryFromSettings(settings, undefined, undefined, objects, db);
      const manager = downloadManagerFromSettings(settings, mastClientProductSource(mast, settings.mastBaseUrl), {
        autoResume: false,
        recoverOnStart: false,
        // One job, then exit: no digest thread booted for a download of small files.
        startDigestThreadsEarly: false,
        jobStore: new DbJobStore(db, { ownsDatabase: false }),
        onFileComplete: downloadRecords(library, { inBucket: objects !== undefined }),
      });
      const view = new ProgressView(o.progress && process.stderr.isTTY === true && !o.json ? (await import('cli-progress')).default : undefined);
      let job: Job | undefined;
      let interrupted = false;
      const onSigint = () => {
        // A second Ctrl-C does not wait: the state on disk is at most a second old and resumable.
        if (interrupted) process.exit(130);
        if (!job) process.exit(130);
        interrupted = true;
        view.line('Pausing… (the bytes downloaded so far are kept)');
        void manager.pause(job.id).catch(() => undefined);
      };
      process.on('SIGINT', onSigint);
      try {
        await manager.start();
        const previous = await findResumable(manager, obsId, productType, calibLevel, subgroup, extension, files);
        if (previous) {
          const p = manager.progress(previous);
          view.line(`Resuming job ${previous.id}: ${formatBytes(p.downloadedBytes)} of ${formatBytes(p.totalBytes)} already on disk`);
          job = await manager.resume(previous.id);
        } else {
          job = await manager.createJob({ obsId, productType, calibLevel, subgroup, extension, productFilenames: files });
          view.line(`Job ${job.id}: ${obsId} → ${job.downloadDir}`);
        }
        const unsubscribe = manager.subscribe(job.id, (p) => view.update(p));
        const settled = await manager.waitUntilSettled(job.id);
        unsubscribe();
        const p = manager.progress(settled);
        view.update(p);
        view.stop();
        if (o.json) process.stdout.write(`${JSON.stringify({ job_id: p.jobId, obs_id: p.obsId, status: p.status, error: p.error, download_dir: p.downloadDir, files: p.files.map((f) => ({ filename: f.filename, path: f.localPath, status: f.status, bytes: f.totalBytes, sha256: f.sha256, error: f.error })) }, null, 2)}\n`);
        if (p.status === 'complete') {
          if (!o.json) process.stdout.write(`${p.completedFiles} files, ${formatBytes(p.totalBytes)} in ${p.downloadDir}\n`);
        } else if (p.status === 'paused') {
          process.stderr.write(`Paused${p.error ? `: ${p.error}` : ''}. Run the same command again to resume.\n`);
          process.exitCode = interrupted ? 130 : 1;
        } else {
          process.stderr.write(`Download ${p.status}: ${p.error ?? p.message}\n`);
          process.exitCode = 1;
        }
      } finally {
        process.off('SIGINT', onSigint);
        view.stop();
        await manager.close();
        await library.close(); // closes the shared database
        await mast.close();
      }
    });
}
