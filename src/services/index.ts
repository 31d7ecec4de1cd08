/**
 * The service families wisp runs, one definition each (src/services/<family>/index.ts). Adding a family is
 * its folder, its kinds' definitions in src/registry/kinds/, and one line here.
 */
import type { ServiceDefinition } from './service';
import { templateService } from './template';
import { dbService } from './db';
import { fsServices } from './fs';
import { execServices } from './exec';
import { contractService } from './contract';
import { storeServices } from './store';
import { queueServices } from './queue';
import { httpServices } from './http';

export const SERVICE_DEFINITIONS: readonly ServiceDefinition[] = [
  templateService as ServiceDefinition,
  dbService as ServiceDefinition,
  fsServices as ServiceDefinition,
  execServices as ServiceDefinition,
  contractService as ServiceDefinition,
  storeServices as ServiceDefinition,
  queueServices as ServiceDefinition,
  httpServices as ServiceDefinition,
];
