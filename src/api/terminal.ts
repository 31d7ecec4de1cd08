/** What a terminal host gives its process. */
export interface Terminal {
  readonly args: readonly string[];
  write(text: string): void;
  writeError(text: string): void;
  /** The next line without its line ending; null at end of input. */
  readLine(): Promise<string | null>;
  /** Up to n bytes of input as text; null at end of input. */
  read(n: number): Promise<string | null>;
}
