// Rule R6: the contracts enver consumes nothing; it has no consumer API.
import { contracts, central, tagProduct } from './common';

contracts.branch('main', central, 'us-east-1').consumes('t', tagProduct); // EXPECT: Property 'consumes' does not exist
