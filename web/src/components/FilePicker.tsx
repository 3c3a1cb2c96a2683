import { useEffect, useState } from 'react';
import { getJson } from '../api/client.js';
import type { LibraryResponse } from '../api/types.js';

let cache: Promise<LibraryResponse> | null = null;

/** Files were added (a download finished): the next picker asks the engine again. */
export function invalidateLibrary(): void {
  cache = null;
}

/** The library's FITS files as a multi-select (paths relative to DATA_DIR). */
export function FilePicker({ id, label, value, onChange, multiple = true }: { id: string; label: string; value: string[]; onChange: (v: string[]) => void; multiple?: boolean }) {
  const [files, setFiles] = useState<string[]>([]);
  useEffect(() => {
    cache ??= getJson<LibraryResponse>('/library');
    cache.then((l) => setFiles(l.groups.flatMap((g) => g.files.map((f) => f.file_path))), () => setFiles([]));
  }, []);
  return (
    <div className="field" style={{ minWidth: 260, flex: 1 }}>
      <label htmlFor={id}>{label}</label>
      <select id={id} multiple={multiple} size={multiple ? Math.min(6, Math.max(3, files.length)) : undefined} value={multiple ? value : value[0] ?? ''}
        onChange={(e) => onChange(Array.from(e.target.selectedOptions).map((o) => o.value))}>
        {!multiple && <option value="">Choose a file</option>}
        {files.map((f) => <option key={f} value={f}>{f}</option>)}
      </select>
    </div>
  );
}
