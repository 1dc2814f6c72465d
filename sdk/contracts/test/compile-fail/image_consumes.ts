// Rule R6: an image enver only produces; it has no consumer API.
import { branchProduct, central, image } from './common';

image.branch('main', central, 'us-east-1').consumes('b', branchProduct); // EXPECT: Property 'consumes' does not exist
