// Which rows of a long list to render: only those in view, plus a few either side so a fast scroll
// does not show blanks. Rows have one fixed height, so this is arithmetic, not measurement.

export interface RowWindow {
  first: number; // index of the first row rendered
  last: number; // one past the last
}

export function visibleRows(options: { scrollTop: number; viewport: number; rowHeight: number; count: number; overscan?: number }): RowWindow {
  const { scrollTop, viewport, rowHeight, count, overscan = 5 } = options;
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return { first, last: Math.max(first, last) };
}
