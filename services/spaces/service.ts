// gRPC adapter of tgsage.v1.SearchSpaces (served by the trainer and search-controller processes): proto <-> domain.
import type { SearchSpacesServiceImplementation } from '../../gen/tgsage/v1/space.ts';
import { decisionsToGenome, describeSpace, genomeToDecisions, requestedSpace } from './space-data.ts';

export function searchSpacesService(): SearchSpacesServiceImplementation {
  return {
    describeSpace: async (req) => describeSpace(requestedSpace(req.space)),
    decisionsToGenome: async (req) => decisionsToGenome(req),
    genomeToDecisions: async (req) => genomeToDecisions(req.genome),
  };
}
