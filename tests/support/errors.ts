import type { FaceError } from '../../models/index.js';

/** The FaceError code a promise rejects with, or 'no error' when it resolves. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as FaceError).code;
  }
  return 'no error';
}
