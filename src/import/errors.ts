import { InputError } from '../errors.js';

/**
 * What is wrong with the installer file or what the import refuses: exit 1 with this message, nothing written.
 * Kept apart from stream errors, which become "truncated" or "corrupt" depending on where the file ended.
 */
export class ImportError extends InputError {}
