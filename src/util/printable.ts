/**
 * Text for a terminal. Every control character (C0, DEL, C1) and every character that reorders a line
 * (bidirectional marks, embeddings, overrides and isolates) becomes a `\uXXXX` escape, as JSON writes control
 * characters, so text a process chose (a name, a log message) cannot move the cursor, clear the screen, set the
 * window title or make a line read as something else. With `layout`, newlines and tabs are kept.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'g');

const escape = (ch: string): string => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function printable(text: string, layout = false): string {
  if (!UNPRINTABLE.test(text)) return text;
  return text.replace(UNPRINTABLE_ALL, (ch) => (layout && (ch === '\n' || ch === '\t') ? ch : escape(ch)));
}
