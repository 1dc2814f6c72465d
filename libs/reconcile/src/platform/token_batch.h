#pragma once

// Enver tokens issued many at once: a contracts publish adds up to thousands of envers, and
// issuing each token (its registry record, then its sealed copy) as two commits made the
// sync of a 1,000-enver publish take seconds of fsyncs. IssueEnverTokens issues the tokens
// with access::TokenRegistry over a store that collects the registry's writes (reads pass
// through) and commits them with the sealed copies in one batch.

#include <string>
#include <vector>

#include "odmd/access/secrets.h"
#include "odmd/base/clock.h"
#include "odmd/base/status.h"
#include "odmd/store/config_store.h"

namespace odmd::reconcile {

// Issues a token to every enver of `enver_ids` that has no sealed token yet and writes the
// token records and the sealed tokens in one commit. Idempotent: an enver that got its
// token (from an earlier call, or meanwhile) keeps it. Store errors as they come; a failed
// commit wrote nothing.
Status IssueEnverTokens(store::ConfigStore& store, Clock& clock, const access::SecretBox& secrets,
                        const std::vector<std::string>& enver_ids);

}  // namespace odmd::reconcile
