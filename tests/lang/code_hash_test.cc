// Code hash and site ids (specs/language.md §11): stable under whitespace,
// comments and path spelling; the code hash changes with any token.

#include "engine/lang/code_hash.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <chrono>

#include "engine/lang/limits.h"

#include "engine/lang/lexer.h"
#include "tests/lang/test_util.h"

namespace tape::lang {
namespace {

using testing::FakeRuntime;

constexpr const char* kScript =
    "fn roll(n) {\n"
    "  let b = random.bits(n);\n"
    "  print(byte_at(b, 0));\n"
    "  return clock.now();\n"
    "}\n"
    "let t = clock.now();\n"
    "roll(1);\n"
    "print(\"done\");\n";

// The same tokens, reformatted and commented.
constexpr const char* kReformatted =
    "# A comment at the top.\n"
    "\n"
    "fn roll(n)\n"
    "{\n"
    "\tlet b = random.bits( n );   # trailing comment\n"
    "\n"
    "\n"
    "      print(byte_at(b,0));\n"
    "  return clock.now();}\n"
    "let t=clock.now();roll(1);\n"
    "print(\"done\");";

std::shared_ptr<const Script> MustCompile(const std::string& name, const std::string& src) {
  auto s = Script::Compile(name, src);
  EXPECT_TRUE(s.has_value()) << s.error().message();
  return s.has_value() ? *s : nullptr;
}

std::vector<uint64_t> SiteIdsOfRun(const Script& script) {
  FakeRuntime rt;
  script.Run(rt);
  std::vector<uint64_t> ids;
  for (const auto& e : rt.events) ids.push_back(e.site_id);
  return ids;
}

TEST(CodeHash, IsSixteenBytes) {
  EXPECT_EQ(MustCompile("a.tape", kScript)->code_hash().size(), 16u);
}

TEST(CodeHash, IgnoresWhitespaceAndComments) {
  EXPECT_EQ(MustCompile("a.tape", kScript)->code_hash(),
            MustCompile("a.tape", kReformatted)->code_hash());
}

TEST(CodeHash, IgnoresThePath) {
  EXPECT_EQ(MustCompile("a.tape", kScript)->code_hash(),
            MustCompile("/elsewhere/./b.tape", kScript)->code_hash());
}

TEST(CodeHash, ChangesWithAnyToken) {
  std::string base = MustCompile("a.tape", kScript)->code_hash();
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"done\"", "\"Done\""},   // a string literal
           {"roll(1);", "roll(2);"},   // a number
           {"let t", "let u"},         // a name (declaration only)
           {"return clock", "return  -clock"},  // an added token
       }) {
    std::string edited = kScript;
    edited.replace(edited.find(from), from.size(), to);
    auto s = Script::Compile("a.tape", edited);
    ASSERT_TRUE(s.has_value()) << edited;
    EXPECT_NE((*s)->code_hash(), base) << from << " -> " << to;
  }
}

TEST(CodeHash, MatchesTheDocumentedDerivation) {
  // specs/language.md §11.1: XXH3-128 of "tape-script/1\n" and, per token,
  // u32le(length) + lexeme, in canonical byte order.
  std::string canonical = "tape-script/1\n";
  for (std::string_view lexeme : {"print", "(", "1", ")", ";"}) {
    uint32_t n = static_cast<uint32_t>(lexeme.size());
    canonical.append(reinterpret_cast<const char*>(&n), 4);  // little-endian host
    canonical.append(lexeme);
  }
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(canonical.data(), canonical.size()));
  EXPECT_EQ(MustCompile("x.tape", "print( 1 ) ;  # hi")->code_hash(),
            std::string(reinterpret_cast<const char*>(c.digest), 16));
}

TEST(SiteIds, StableUnderWhitespaceCommentsAndPath) {
  std::vector<uint64_t> a = SiteIdsOfRun(*MustCompile("a.tape", kScript));
  std::vector<uint64_t> b = SiteIdsOfRun(*MustCompile("/tmp/../x/b.tape", kReformatted));
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a, b);
}

TEST(SiteIds, DistinctPerCallSite) {
  std::vector<uint64_t> ids = SiteIdsOfRun(*MustCompile("a.tape", kScript));
  // clock.now in roll, clock.now at top level, two prints: all different.
  std::set<uint64_t> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
}

TEST(SiteIds, SameSiteForRepeatedCallsFromOnePlace) {
  FakeRuntime rt;
  MustCompile("l.tape", "for i in 0..3 { clock.now(); }")->Run(rt);
  ASSERT_EQ(rt.events.size(), 3u);
  EXPECT_EQ(rt.events[0].site_id, rt.events[2].site_id);
}

TEST(SiteIds, MatchTheDocumentedDerivation) {
  FakeRuntime rt;
  MustCompile("s.tape", "fn f() { print(1); clock.now(); print(2); }\nclock.now();\nf();")->Run(rt);
  ASSERT_EQ(rt.events.size(), 4u);
  auto id = [](std::string_view text) { return XXH3_64bits(text.data(), text.size()); };
  EXPECT_EQ(rt.events[0].site_id, id("tape-script-site/1:<top>:clock.now:0"));
  EXPECT_EQ(rt.events[1].site_id, id("tape-script-site/1:f:io.write:0"));
  EXPECT_EQ(rt.events[2].site_id, id("tape-script-site/1:f:clock.now:0"));
  EXPECT_EQ(rt.events[3].site_id, id("tape-script-site/1:f:io.write:1"));
  EXPECT_EQ(ScriptSiteId("", "clock.now", 0), id("tape-script-site/1:<top>:clock.now:0"));
}

TEST(SiteIds, SurviveEditsThatDoNotMoveEffectCalls) {
  // Changing a message keeps every site (the code hash still changes).
  std::string edited = kScript;
  edited.replace(edited.find("\"done\""), 6, "\"finished\"");
  EXPECT_EQ(SiteIdsOfRun(*MustCompile("a.tape", kScript)),
            SiteIdsOfRun(*MustCompile("a.tape", edited)));
}

TEST(SiteIds, LocationTextIsBaseNameLineAndColumn) {
  FakeRuntime rt;
  MustCompile("/some/where/demo.tape", "\n  let t = clock.now();\nprint(t);")->Run(rt);
  ASSERT_EQ(rt.events.size(), 2u);
  EXPECT_EQ(rt.events[0].location, "demo.tape:2:11");
  EXPECT_EQ(rt.events[1].location, "demo.tape:3:1");
}

TEST(SiteIds, ScriptListsItsSites) {
  auto s = MustCompile("a.tape", kScript);
  ASSERT_EQ(s->sites().size(), 5u);
  EXPECT_EQ(s->sites()[0].location, "a.tape:6:9");  // top level is compiled first
}

TEST(DescribeFirstChange, EqualTokenStreamsGiveEmpty) {
  EXPECT_EQ(DescribeFirstChange(kScript, kReformatted), "");
  EXPECT_EQ(DescribeFirstChange("", ""), "");
}

TEST(DescribeFirstChange, NamesTheChangedLine) {
  EXPECT_EQ(DescribeFirstChange("let a = 1;\nlet x = 3;\nprint(x);\n",
                                "let a = 1;\nlet x = 4;\nprint(x);\n"),
            "line 2 changed: `let x = 3;` \u2192 `let x = 4;`");
}

TEST(DescribeFirstChange, ShowsTheRecordedLineNumberWhenItMoved) {
  EXPECT_EQ(DescribeFirstChange("let x = 3;\n", "# new comment\n\nlet x = 4;\n"),
            "line 3 (line 1 when recorded) changed: `let x = 3;` \u2192 `let x = 4;`");
}

TEST(DescribeFirstChange, AddedAndRemovedLines) {
  EXPECT_EQ(DescribeFirstChange("print(1);\n", "print(1);\nprint(2);\n"),
            "line 2 added: `print(2);`");
  EXPECT_EQ(DescribeFirstChange("print(1);\nprint(2);\n", "print(1);\n"),
            "line 2 removed: `print(2);`");
}

TEST(DescribeFirstChange, CopesWithUnlexableSources) {
  EXPECT_NE(DescribeFirstChange("print(1);", "print(1);\n\x01\x02"), "");
  EXPECT_EQ(DescribeFirstChange("\"unterminated", "\"unterminated"), "");
}

TEST(DescribeFirstChange, ShowsRawBytesAsQuestionMarks) {
  EXPECT_EQ(DescribeFirstChange("print(\"\x1b[2J\xff\");", "print(\"\xc3\xa9\");"),
            "line 1 changed: `print(\"?[2J?\");` \u2192 `print(\"\xc3\xa9\");`");
}

// A trace may carry any text as its script. One larger than a script may be
// is not lexed: 64 MiB of '(' would otherwise be 64 million tokens.
TEST(DescribeFirstChange, RefusesOversizedSources) {
  std::string huge(64 << 20, '(');
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(DescribeFirstChange(huge, "print(1);"),
            "the recorded script is 67108864 bytes, more than a script may have (16 MiB)");
  EXPECT_EQ(DescribeFirstChange("print(1);", huge),
            "the current script is 67108864 bytes, more than a script may have (16 MiB)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  // Within the limit, the comparison stops at the first difference.
  std::string big(kMaxSourceBytes - 10, '(');
  EXPECT_EQ(DescribeFirstChange("x" + big, "y" + big), "line 1 changed: `x" +
                                                           std::string(79, '(') + "...` \u2192 `y" +
                                                           std::string(79, '(') + "...`");
}

}  // namespace
}  // namespace tape::lang
