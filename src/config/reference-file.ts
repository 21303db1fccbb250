import { CONFIG, EXTERNAL_VARIABLES } from '../config.js';
import { renderReference } from './reference.js';

/** The text docs/configuration.md must hold. */
export function configurationReference(): string {
  return renderReference(CONFIG.leaves, EXTERNAL_VARIABLES);
}
