import type { ComponentChildren } from 'preact';

/**
 * A table that scrolls sideways on a phone, inside a region named by `label` or by the element
 * `labelledBy`. The region takes focus because a keyboard can only scroll what has it.
 */
export function ScrollingTable({ label, labelledBy, children }: { label?: string; labelledBy?: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a keyboard can only scroll what takes focus (WCAG 2.1.1)
    <section class="table-scroll" aria-label={label} aria-labelledby={labelledBy} tabIndex={0}>
      {children}
    </section>
  );
}
