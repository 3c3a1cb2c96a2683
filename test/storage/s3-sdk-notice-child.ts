/**
 * Child of s3-sdk-notice.test.ts: makes an S3 client as the engine's storage does (no request is
 * sent), in a process whose environment the test chose.
 */
import { S3Storage } from '../../src/storage/s3.js';

await new S3Storage({
  bucket: 'engine', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true,
  accessKeyId: undefined, secretAccessKey: undefined, sessionToken: undefined, anonymous: true, publicEndpoint: undefined,
}).client();
// process.emitWarning writes on a later tick: let it.
await new Promise((resolve) => setTimeout(resolve, 50));
process.stdout.write('client made\n');
