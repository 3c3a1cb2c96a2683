/** Worker task of POST /analysis/detect-sources (background, finder choice, detection). */
import { detectSourcesFile, type DetectSourcesRequest } from '../../analysis/detect-sources.js';

export const detectTasks = {
  'analysis.detect-sources': (p: DetectSourcesRequest) => detectSourcesFile(p),
} as const;
