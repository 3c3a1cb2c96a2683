/**
 * Builds the download manager from the engine settings, with the MAST client as product source.
 * Used by the engine (HTTP) and by the CLI, so both behave the same.
 */
import type { Settings } from '../config.js';
import type { MastClient } from '../mast/client.js';
import { ALL_PRODUCTS } from '../mast/product-selection.js';
import { DownloadManager, type DownloadLogger, type DownloadManagerOptions } from './download-manager.js';
import { productsFromRows, type ProductSource } from './product-source.js';
import { objectStoreOf } from '../storage/s3.js';
import { AwsMirror } from './aws-mirror.js';

/** The MAST client's product list, picked by the shared selection rule (the same as `/mast/products`). */
export function mastClientProductSource(client: MastClient, baseUrl: string): ProductSource {
  return {
    async listProducts(obsId, query, signal) {
      const list = await client.listProducts(obsId, ALL_PRODUCTS, signal);
      return productsFromRows(list.products, query, baseUrl);
    },
  };
}

export function downloadManagerFromSettings(
  settings: Settings,
  products: ProductSource,
  options: { logger?: DownloadLogger } & Partial<DownloadManagerOptions> = {},
): DownloadManager {
  return new DownloadManager({
    downloadDir: settings.mastDownloadDir,
    dataDir: settings.dataDir,
    products,
    mastBaseUrl: settings.mastBaseUrl,
    allowedHosts: settings.downloadAllowedHosts,
    token: settings.mastToken,
    chunkSize: settings.chunkSize,
    maxConcurrentFiles: settings.maxConcurrentFiles,
    connectionsPerFile: settings.connectionsPerFile,
    retry: { maxRetries: settings.maxRetries, baseDelayMs: settings.retryBaseDelayMs },
    autoResume: settings.autoResumeDownloads,
    stateRetentionDays: settings.stateRetentionDays,
    cacheMaxBytes: settings.mastCacheMaxBytes,
    stallTimeoutMs: settings.downloadStallTimeoutMs,
    syncData: settings.downloadFsync,
    mirror: new AwsMirror(settings.awsMirror, settings.mastBaseUrl, { token: settings.mastToken, logger: options.logger }),
    // STORAGE_PROVIDER=s3: downloads stream into the bucket (multipart, resumable), not to disk.
    ...objectStoreOption(settings),
    ...options,
  });
}

/** STORAGE_PROVIDER=s3: the download manager's object store and part size; nothing for local storage. */
function objectStoreOption(settings: Settings): Partial<DownloadManagerOptions> {
  const objectStore = objectStoreOf(settings.storage);
  return objectStore ? { objectStore, partBytes: settings.storage.uploadPartBytes } : {};
}
