/**
 * The task table the worker threads run. Each entry is a plain core function (pixels in, results
 * out): the pool only moves arguments and results between threads. Add a task by importing its
 * function here under a stable name.
 */
import { ping } from './ping.js';
import { viewerTasks } from './viewer.js';
import { analysisTasks } from './analysis.js';
import { reprojectTasks } from './reproject.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are checked by each task's caller.
export type TaskFunction = (payload: any) => unknown;

export const tasks: Readonly<Record<string, TaskFunction>> = {
  ping,
  ...viewerTasks,
  ...analysisTasks,
  ...reprojectTasks,
};

export type TaskName = keyof typeof tasks & string;
