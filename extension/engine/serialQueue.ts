// One task at a time: each runs after the one queued before it has settled, fulfilled or rejected
// (a failure never blocks the queue). The engine host runs the requests of a session, and the
// loads of a model role, this way.

export class SerialQueue {
  private tail: Promise<unknown>;

  /** `after`: the first task also waits for it (a session still being created); its outcome is
   *  ignored. */
  constructor(after: Promise<unknown> = Promise.resolve()) {
    this.tail = after.then(ignore, ignore);
  }

  /** Queues `task`; settles as it does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(ignore);
    return result;
  }

  /** Settles once every task queued so far has settled. */
  settled(): Promise<void> {
    return this.tail.then(ignore);
  }
}

function ignore(): undefined {
  return undefined;
}
