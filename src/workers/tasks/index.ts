/**
 * The task table the worker threads run. Each entry is a plain core function (pixels in, results
 * out): the pool only moves arguments and results between threads. Add a task by importing its
 * function here under a stable name.
 */
import { ping } from './ping.js';
import { viewerTasks } from './viewer.js';
import { analysisTasks } from './analysis.js';
import { reprojectTasks } from './reproject.js';
import { tablesTasks } from './tables.js';
import { compositeTasks } from './composite.js';
import { detectTasks } from './detect.js';

/** Any one-argument task (`never`: every payload type fits; each caller passes its task's payload). */
export type TaskFunction = (payload: never) => unknown;

export const tasks = {
  ping,
  ...viewerTasks,
  ...analysisTasks,
  ...reprojectTasks,
  ...tablesTasks,
  ...compositeTasks,
  ...detectTasks,
} satisfies Readonly<Record<string, TaskFunction>>;

/** The task names, so a misspelt name in `pool.run` is a compile error. */
export type TaskName = keyof typeof tasks;
