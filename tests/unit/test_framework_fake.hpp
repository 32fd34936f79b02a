// A throwaway experiment "fake" for the framework's own tests (never linked into attnlab).
#pragma once
#include "experiments/common/claim.hpp"

namespace attnlab::test {

// Claims: fake.sum_identity (PASS), fake.second (PASS), fake.refuted (expected FAIL, FAIL),
// fake.broken (expected PASS, throws: FAIL, not as expected).
exp::Experiment fake_experiment();
void register_fake(exp::Registry& r);

}  // namespace attnlab::test
