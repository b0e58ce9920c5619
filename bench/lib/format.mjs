// Number formatting for the tables.
export const ms = (v) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) : '–');
export const x = (v) => (Number.isFinite(v) ? `${v.toFixed(2)} ×` : '–');
export const mb = (v) => (Number.isFinite(v) ? `${v.toFixed(1)}` : '–');
export const mib = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(2)} MiB` : '–');
