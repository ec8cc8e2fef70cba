/**
 * Errors raised while compiling a margin model from configuration. A bad
 * configuration is refused at load time (never at trade time), with a message
 * naming the offending field.
 */
export class MarginConfigError extends Error {
  override name = 'MarginConfigError';
  constructor(
    /** Dotted path of the offending field, e.g. `brackets[2].maintenanceAmount`. */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`margin config ${field}: ${reason}`);
  }
}
