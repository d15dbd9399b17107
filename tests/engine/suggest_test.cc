#include "engine/internal/suggest.h"

#include <gtest/gtest.h>

namespace tape::engine {
namespace {

const std::vector<std::string> kVerbs = {"list",  "record",  "run",     "hunt",   "replay",
                                         "rerun", "inspect", "export",  "stats",  "diff",
                                         "bench", "verify",  "recover", "redact", "import"};

TEST(Suggest, EditDistanceCountsOneSwapAsOneEdit) {
  EXPECT_EQ(EditDistance("replya", "replay"), 1u);
  EXPECT_EQ(EditDistance("recrod", "record"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("Inspect", "inspect"), 0u);
}

TEST(Suggest, NearestVerbForATypo) {
  EXPECT_EQ(NearestName("replya", kVerbs), "replay");
  EXPECT_EQ(NearestName("inspetc", kVerbs), "inspect");
  EXPECT_EQ(NearestName("verfy", kVerbs), "verify");
  EXPECT_EQ(NearestName("insp", kVerbs), "inspect");  // a prefix of one verb
}

TEST(Suggest, NoGuessWhenNothingIsNearOrTwoAreAsNear) {
  EXPECT_EQ(NearestName("teleport", kVerbs), "");
  EXPECT_EQ(NearestName("rec", kVerbs), "");  // record and recover
  EXPECT_EQ(NearestName("re", kVerbs), "");
  EXPECT_EQ(NearestName(std::string(1000, 'x'), kVerbs), "");
}

TEST(Suggest, FlagThatExtendsAFlag) {
  std::vector<std::string> flags = {"--out", "--force", "--flush-ms", "--redact-env"};
  EXPECT_EQ(NearestName("--output", flags), "--out");
  EXPECT_EQ(NearestName("--forse", flags), "--force");
  EXPECT_EQ(DidYouMean("--output", flags, ""), " (did you mean --out?)");
  EXPECT_EQ(DidYouMean("replya", kVerbs), " (did you mean 'replay'?)");
  EXPECT_EQ(DidYouMean("zzz", kVerbs), "");
}

}  // namespace
}  // namespace tape::engine
