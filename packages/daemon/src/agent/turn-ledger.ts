/** Results remembered by turn number, for a caller that asks just after its turn ended. */
const OUTCOMES_KEPT = 64;

/**
 * Which result answers which message, for one Claude Code process. One
 * message is one turn: a message sent while a turn runs waits here and is
 * written when that turn's result is in. Written during a turn, Claude Code
 * folds every waiting message into one next turn (one result for several
 * sends), and no caller could tell which result answers it.
 */
export class TurnLedger<Outcome> {
  private sent = 0;
  private answered = 0;
  private waiting: string[] = [];
  private readonly outcomes = new Map<number, Outcome>();
  private readonly listeners = new Set<(outcome: Outcome | undefined, answered: number) => void>();

  /** Turns sent but not answered (0: idle). */
  get outstanding(): number {
    return this.sent - this.answered;
  }

  /** A new process: numbering starts again. */
  reset(): void {
    this.sent = this.answered = 0;
    this.waiting = [];
    this.outcomes.clear();
  }

  /** Numbers a message; `now`: write it at once (no turn runs), else it waits for `ended`. */
  add(text: string): { turn: number; now: boolean } {
    const turn = ++this.sent;
    const now = this.outstanding === 1;
    if (!now) this.waiting.push(text);
    return { turn, now };
  }

  /** A turn's result: recorded and told to its waiters; returns the next waiting message, to write now. */
  ended(outcome: Outcome): string | undefined {
    if (this.answered < this.sent) this.answered++;
    this.outcomes.set(this.answered, outcome);
    if (this.outcomes.size > OUTCOMES_KEPT) this.outcomes.delete(this.outcomes.keys().next().value!);
    const next = this.waiting.shift();
    for (const listener of [...this.listeners]) listener(outcome, this.answered);
    return next;
  }

  /** The process ended: every waiter gets undefined; returns how many waiting messages were never written. */
  abort(): number {
    const dropped = this.waiting.length;
    this.waiting = [];
    for (const listener of [...this.listeners]) listener(undefined, this.answered);
    return dropped;
  }

  /** Resolves with the result of turn `turn`, or undefined if the process ends first. */
  turnEnd(turn: number): { done: Promise<Outcome | undefined>; cancel: () => void } {
    if (turn <= this.answered) return { done: Promise.resolve(this.outcomes.get(turn)), cancel: () => undefined };
    let listener: (o: Outcome | undefined, answered: number) => void = () => undefined;
    const done = new Promise<Outcome | undefined>((resolve) => {
      listener = (o, answered) => {
        if (o !== undefined && answered < turn) return;
        this.listeners.delete(listener);
        resolve(o);
      };
      this.listeners.add(listener);
    });
    return { done, cancel: () => this.listeners.delete(listener) };
  }
}
