// The memory budget (specs/language.md §10) charges what values really take:
// its count is checked against the C library's own count of bytes in use
// (glibc's mallinfo2), for many small objects and a few large ones. A budget
// that undercounted let scripts take several times their limit.

#include <gtest/gtest.h>
#include <malloc.h>

#include <string>

#include "engine/lang/value.h"
#include "tests/lang/test_util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TAPE_MALLOC_REPLACED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || \
    __has_feature(thread_sanitizer)
#define TAPE_MALLOC_REPLACED 1
#endif
#endif

namespace tape::lang {
namespace {

// Bytes in use: in the heap's arenas plus in blocks mapped on their own
// (large ones).
int64_t HeapInUse() {
  struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

// Records, at each print, the budget's count and the heap's.
class MeasuringRuntime : public testing::FakeRuntime {
 public:
  struct Sample {
    int64_t charged, heap;
  };
  std::vector<Sample> samples;

  std::string_view Perform(const Site& site, EffectKind kind, std::string_view in,
                           const LiveCall& live) override {
    if (kind == EffectKind::kIoWrite) {
      const MemoryBudget* budget = MemoryBudget::current();
      samples.push_back(Sample{budget != nullptr ? budget->used() : -1, HeapInUse()});
    }
    return testing::FakeRuntime::Perform(site, kind, in, live);
  }
};

// Runs `build` between two prints and returns charged / real bytes of what
// it left alive.
double ChargedOverReal(const std::string& build) {
  MeasuringRuntime rt;
  testing::RunResult r = testing::RunSource("print(0);\n" + build + "\nprint(1);", &rt);
  EXPECT_TRUE(r.error.empty()) << r.error;
  if (rt.samples.size() != 2) return 0;
  double charged = static_cast<double>(rt.samples[1].charged - rt.samples[0].charged);
  double real = static_cast<double>(rt.samples[1].heap - rt.samples[0].heap);
  EXPECT_GT(real, 1 << 20) << "the structure is too small to measure";
  return charged / real;
}

class MemoryAccounting : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef TAPE_MALLOC_REPLACED
    GTEST_SKIP() << "the sanitizer's allocator is not glibc's";
#endif
  }
};

TEST_F(MemoryAccounting, ManyEmptyMaps) {
  double ratio = ChargedOverReal("let l = [];\nfor i in 0..200000 { push(l, {}); }");
  EXPECT_GT(ratio, 0.9);
  EXPECT_LT(ratio, 1.2);
}

TEST_F(MemoryAccounting, ManyEmptyLists) {
  double ratio = ChargedOverReal("let l = [];\nfor i in 0..200000 { push(l, []); }");
  EXPECT_GT(ratio, 0.9);
  EXPECT_LT(ratio, 1.2);
}

TEST_F(MemoryAccounting, ManyShortStrings) {
  double ratio = ChargedOverReal("let l = [];\nfor i in 0..200000 { push(l, str(i)); }");
  EXPECT_GT(ratio, 0.9);
  EXPECT_LT(ratio, 1.2);
}

TEST_F(MemoryAccounting, LongStrings) {
  double ratio =
      ChargedOverReal("let l = [];\nfor i in 0..2000 { push(l, \"x\" * 1000 + str(i)); }");
  EXPECT_GT(ratio, 0.9);
  EXPECT_LT(ratio, 1.2);
}

TEST_F(MemoryAccounting, MapsWithEntries) {
  double ratio = ChargedOverReal(
      "let m = {};\nfor i in 0..100000 { m[i] = {\"a\": i, \"b\": [i, i]}; }");
  EXPECT_GT(ratio, 0.9);
  EXPECT_LT(ratio, 1.2);
}

TEST_F(MemoryAccounting, ListsOfInts) {
  double ratio = ChargedOverReal("let l = [];\nfor i in 0..50000 { push(l, [i] * 10); }");
  EXPECT_GT(ratio, 0.9);
  EXPECT_LT(ratio, 1.2);
}

// The case that used to reach six times the limit: lists of empty maps.
TEST_F(MemoryAccounting, TheLimitHoldsForEmptyContainers) {
  MeasuringRuntime rt;
  RunLimits limits;
  limits.max_memory = 64 << 20;
  testing::RunResult r = testing::RunSource(
      "print(0);\nlet all = [];\nwhile true {\n  let l = [];\n"
      "  for i in 0..10000 { push(l, {}); }\n  push(all, l);\n  print(len(all));\n}",
      &rt, limits);
  EXPECT_NE(r.error.find("out of memory"), std::string::npos) << r.error;
  ASSERT_GE(rt.samples.size(), 2u);
  int64_t peak = 0;
  for (const auto& s : rt.samples) peak = std::max(peak, s.heap - rt.samples[0].heap);
  EXPECT_LT(peak, int64_t{64 << 20} * 5 / 4);
  EXPECT_GT(peak, int64_t{64 << 20} * 3 / 4);
}

}  // namespace
}  // namespace tape::lang
