// Consumers and products named by a string or by the typed objects of an org's generated
// package (`odmd gen package`: `orderSvc.main.consumers.inventoryApi`), which carry the id
// of the enver that declares them.

/** A consumer or product of an enver: its name, or the generated package's object for it. */
export type NameRef = string | { readonly name: string; readonly enverId: string };

/**
 * The name `ref` stands for. A typed object must belong to `enverId` or, for a clone, to the
 * static enver `originId` it was made from (a clone has its origin's consumers and products);
 * an Error naming both envers otherwise.
 */
export function refName(
  ref: NameRef,
  what: 'consumer' | 'product',
  enverId: string,
  originId: string | undefined,
): string {
  if (typeof ref === 'string') return ref;
  if (ref.enverId !== enverId && ref.enverId !== originId) {
    throw new Error(
      `odmd: ${what} ${JSON.stringify(ref.name)} of enver ${ref.enverId} is not one of enver ` +
        `${enverId}${originId === undefined ? '' : ` (a clone of ${originId})`}`,
    );
  }
  return ref.name;
}
