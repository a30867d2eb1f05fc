/** Options every act of the demo takes. */
export interface ActOptions {
  /** Multiplies every duration of the act (timeouts, delays, slow answers). @default 1 */
  readonly timeScale?: number;
  /** Where the lines go. @default console.log */
  readonly print?: (line: string) => void;
}
