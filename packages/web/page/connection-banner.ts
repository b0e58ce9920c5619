/**
 * The banner shown while the page has lost the gateway or the daemon: every
 * live channel (events, terminal) reports here, and the banner shows while
 * any of them is down.
 */
export class ConnectionBanner {
  private readonly down = new Set<string>();

  constructor(private readonly node: HTMLElement) {}

  set(channel: string, connected: boolean): void {
    if (connected) this.down.delete(channel);
    else this.down.add(channel);
    this.node.hidden = this.down.size === 0;
  }
}
