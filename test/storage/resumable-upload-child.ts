/**
 * Child process of resumable-upload.test.ts: starts a resumable upload into the S3 store named by
 * the environment, saves its state to UPLOAD_STATE_FILE after each part (temp file + rename), writes
 * the first CHILD_BYTES bytes of the test pattern, says "ready" and waits to be killed (SIGKILL).
 */
import { rename, writeFile } from 'node:fs/promises';
import { S3Storage } from '../../src/storage/s3.js';
import { ResumableUpload } from '../../src/storage/resumable-upload.js';
import { loadS3Settings } from '../../src/config.js';
import { patternAt } from './upload-pattern.js';

const stateFile = process.env.UPLOAD_STATE_FILE!;
const store = new S3Storage(loadS3Settings(process.env)!);
const upload = await ResumableUpload.start(store, process.env.UPLOAD_KEY!, 5 * 1024 * 1024, async (state) => {
  await writeFile(`${stateFile}.tmp`, JSON.stringify(state));
  await rename(`${stateFile}.tmp`, stateFile);
});
const total = Number(process.env.CHILD_BYTES);
const chunk = 1024 * 1024;
for (let offset = 0; offset < total; offset += chunk) await upload.write(patternAt(offset, Math.min(chunk, total - offset)));
process.stdout.write('ready\n');
setInterval(() => undefined, 1 << 30);
