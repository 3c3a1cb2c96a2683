/** What the library knows of one data file: its record. */

/** JWST calibration levels as the upstream library names them. */
export const CALIBRATION_LEVELS = ['L1', 'L2a', 'L2b', 'L3'] as const;
export type CalibrationLevel = (typeof CALIBRATION_LEVELS)[number];

export type Visibility = 'public' | 'private';
export type DataType = 'image' | 'cube' | 'spectrum' | 'table' | 'other';
/** How the record came to be. */
export type RecordSource = 'download' | 'job' | 'scan' | 'import';

/** A sky position in degrees (ICRS). */
export type SkyPoint = readonly [ra: number, dec: number];

/** What the headers (or the file name) say; no pixel data is read to find it. */
export interface FileFacts {
  readonly dataType: DataType;
  readonly observationId: string | null;
  readonly calibrationLevel: CalibrationLevel | null;
  readonly instrument: string | null;
  readonly filter: string | null;
  readonly target: string | null;
  readonly ra: number | null;
  readonly dec: number | null;
  /** Corners of the area covered (S_REGION polygon), or null. */
  readonly footprint: readonly SkyPoint[] | null;
  /** Other header facts worth showing (program, exposure time, dates...). */
  readonly metadata: Readonly<Record<string, string | number | boolean | null>>;
}

export interface LibraryRecord extends FileFacts {
  readonly dataId: string;
  /** Relative to DATA_DIR with '/' separators: what `file_path` takes. */
  readonly path: string;
  readonly fileName: string;
  readonly sizeBytes: number;
  readonly sha256: string | null;
  readonly fileMtimeMs: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly source: RecordSource;
  /** Lineage: the job that produced the file and the records it was made from. */
  readonly jobId: string | null;
  readonly inputIds: readonly string[];
  readonly owner: string | null;
  readonly visibility: Visibility;
  readonly archived: boolean;
  /** The file was not found on disk by the last scan (the record is kept for lineage). */
  readonly missing: boolean;
  readonly hasThumbnail: boolean;
  readonly description: string | null;
}

/** Who is asking: decides which records are visible. */
export type Viewer =
  /** No auth configured: the single-user tool, everything is visible. */
  | { readonly kind: 'everyone' }
  /** Anonymous (public mode or no token): public records only. */
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly userId: string; readonly admin: boolean };

export const EVERYONE: Viewer = { kind: 'everyone' };
export const ANONYMOUS: Viewer = { kind: 'anonymous' };

export function canSee(viewer: Viewer, record: Pick<LibraryRecord, 'owner' | 'visibility'>): boolean {
  if (viewer.kind === 'everyone') return true;
  if (record.visibility === 'public') return true;
  if (viewer.kind === 'anonymous') return false;
  return viewer.admin || record.owner === viewer.userId;
}

/** Edits (visibility, archive, delete) are for the owner, Admin, or anyone in single-user mode. */
export function canEdit(viewer: Viewer, record: Pick<LibraryRecord, 'owner'>): boolean {
  if (viewer.kind === 'everyone') return true;
  if (viewer.kind === 'anonymous') return false;
  return viewer.admin || record.owner === viewer.userId;
}
