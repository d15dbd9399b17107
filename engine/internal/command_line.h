// What the tape command (tools/main.cc) and the command line of a program
// that links tape (tape::Main, engine/src/embed.cc) share in parsing their
// arguments with CLI11: whole numbers in a range, the options of recording
// and hunting, the program's own arguments after "--", and parsing with
// "did you mean" for a mistyped command or flag. Header-only: CLI11 costs seconds per file that
// includes it, and only those two do.

#ifndef TAPE_ENGINE_INTERNAL_COMMAND_LINE_H_
#define TAPE_ENGINE_INTERNAL_COMMAND_LINE_H_

#include <CLI/CLI.hpp>
#include <algorithm>
#include <initializer_list>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/internal/suggest.h"

namespace tape::engine {

// A whole number from `lo` to `hi`, with a message that says so ("not a
// number" for text, the range for a number outside it).
inline CLI::Validator WholeNumber(uint64_t lo, uint64_t hi) {
  std::string range = std::to_string(lo) + " to " + std::to_string(hi);
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        uint64_t v = 0;
        const char* end = text.data() + text.size();
        auto [p, ec] = std::from_chars(text.data(), end, v);
        if (text.empty() || ec == std::errc::invalid_argument || p != end) {
          return "'" + text + "' is not a whole number (expected " + range + ")";
        }
        if (ec == std::errc::result_out_of_range || v < lo || v > hi) {
          return text + " is out of range (expected " + range + ")";
        }
        return "";
      },
      "INT in " + range);
}

// Chaos mode's options (record, run, hunt).
inline void AddChaosOptions(CLI::App* verb, std::string* chaos, std::optional<uint64_t>* seed) {
  verb->add_option("--chaos", *chaos,
                   "Perturb what effects return, e.g. fs.read=0.1,clock.now=0.01 or all=0.05 "
                   "(specs/chaos.md)");
  verb->add_option("--seed", *seed, "Seed of the chaos generator (default: a random one)")
      ->check(WholeNumber(0, UINT64_MAX));
}

// Where the options of a recording go (tape record and run, myapp record).
struct RecordingFlags {
  std::string* out;
  bool* force;
  uint32_t* flush_ms;
  std::vector<std::string>* redact_env;
  std::vector<std::string>* redact_header;
  std::vector<std::string>* redact_match;
  std::string* chaos;
  std::optional<uint64_t>* seed;
};

inline void AddRecordingOptions(CLI::App* verb, const RecordingFlags& f) {
  verb->add_option("--out,-o", *f.out,
                   "Trace file to write (default: trace.bin, and the command says so)");
  verb->add_flag("--force", *f.force,
                 "Replace --out even if it is not a trace of this program (or not a trace)");
  verb->add_option("--flush-ms", *f.flush_ms, "Seal recorded events to the file at least this often")
      ->check(WholeNumber(1, 3600000))
      ->capture_default_str();
  verb->add_option("--redact-env", *f.redact_env,
                   "Record the values of the environment variables matching this glob (e.g. "
                   "'API_*') as markers; the program still sees them. Repeatable")
      ->allow_extra_args(false);
  verb->add_option("--redact-header", *f.redact_header,
                   "Record the values of the HTTP request and response headers so named (a "
                   "glob, any case, e.g. 'Authorization') as markers. Repeatable")
      ->allow_extra_args(false);
  verb->add_option("--redact-match", *f.redact_match,
                   "Record the text this regular expression (RE2) matches in any payload, and "
                   "every later copy of it, as markers; with groups, what the groups match. "
                   "Repeatable")
      ->allow_extra_args(false);
  AddChaosOptions(verb, f.chaos, f.seed);
}

// Where the options of a hunt go (tape hunt, myapp hunt).
struct HuntFlags {
  uint64_t* runs;
  uint32_t* jobs;
  std::string* until;
  std::string* keep;
  uint32_t* keep_failures;
  uint32_t* timeout_s;
  std::string* chaos;
  std::optional<uint64_t>* seed;
};

inline void AddHuntOptions(CLI::App* verb, const HuntFlags& f) {
  verb->add_option("--runs,-n", *f.runs, "Stop after this many runs")
      ->check(WholeNumber(1, 1000000000))
      ->capture_default_str();
  verb->add_option("--jobs,-j", *f.jobs, "Runs at a time (default: one per CPU)")
      ->check(WholeNumber(1, 256));
  verb->add_option("--until", *f.until,
                   "What a failing run does: exit!=K, exit==K or output~REGEX (RE2 syntax, "
                   "matched like grep -E against each line of the run's stdout and stderr)")
      ->capture_default_str();
  verb->add_option("--keep", *f.keep, "Directory for the failing runs' traces")
      ->capture_default_str();
  verb->add_option("--keep-failures", *f.keep_failures,
                   "Go on until this many failures that took different paths are kept")
      ->check(WholeNumber(1, 1000))
      ->capture_default_str();
  verb->add_option("--timeout", *f.timeout_s,
                   "Stop a run after this many seconds (it counts as killed by SIGTERM; 0: never)")
      ->check(WholeNumber(0, 86400))
      ->capture_default_str();
  AddChaosOptions(verb, f.chaos, f.seed);
}

// "unknown command 'replya' (did you mean 'replay'?)" for a first argument
// that names none of `app`'s commands; without a likely one, the list of
// them.
inline std::string UnknownCommand(CLI::App& app, const std::string& given) {
  std::vector<std::string> commands;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    commands.push_back(sub->get_name());
  }
  if (given.starts_with("-")) return "unknown option '" + given + "' (options follow the command)";
  std::string message = "unknown command '" + given + "'";
  std::string hint = DidYouMean(given, commands);
  if (!hint.empty()) return message + hint;
  std::string all;
  for (const std::string& command : commands) all += (all.empty() ? "" : ", ") + command;
  return message + "; the commands are: " + all;
}

// The first "--flag" of the command line, before any "--", that `command`
// does not take; empty when it takes every one. *hint is then " (did you
// mean --out?)" for a flag it likely meant, else "".
inline std::string UnknownFlag(CLI::App& command, int argc, char** argv, std::string* hint) {
  std::vector<std::string> flags;
  for (const CLI::Option* o : command.get_options()) {
    for (const std::string& name : o->get_lnames()) flags.push_back("--" + name);
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;  // the program's own arguments follow
    if (!arg.starts_with("--")) continue;
    std::string name(arg.substr(0, arg.find('=')));
    if (std::find(flags.begin(), flags.end(), name) != flags.end()) continue;
    *hint = DidYouMean(name, flags, "");
    return name;
  }
  hint->clear();
  return "";
}

// For the commands whose arguments after "--" are the program's own, never
// options (`tape record dice -- 6`, `myapp hunt -- --verbose`): when
// argv[1] is one of `commands`, moves what follows the first "--" to
// *program_args. Returns how much of argv to parse (argc without them).
inline int SetAsideProgramArgs(int argc, char** argv,
                               std::initializer_list<std::string_view> commands,
                               std::vector<std::string>* program_args) {
  if (argc < 2 || std::find(commands.begin(), commands.end(), argv[1]) == commands.end()) {
    return argc;
  }
  for (int i = 2; i < argc; ++i) {
    if (std::string_view(argv[i]) != "--") continue;
    program_args->assign(argv + i + 1, argv + argc);
    return i;
  }
  return argc;
}

// What was wrong with a command line.
struct UsageProblem {
  CLI::App* command = nullptr;  // the command it names; nullptr: none
  std::string message;          // CLI11's, or "unknown command 'x' (did you mean ...)"
  std::string unknown_flag;     // the first flag `command` does not take, if that was it
  std::string hint;             // then " (did you mean --out?)", or ""
};

// Parses argv[0..argc) into `app`, whose subcommands are the commands.
// Returns nothing when the command given should run; 0 after --help or
// --version, which CLI11 printed; -1 after a usage error, described in
// *problem for the caller to print.
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv,
                                           UsageProblem* problem) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    problem->message = e.what();
    for (CLI::App* sub : app.get_subcommands()) problem->command = sub;
    if (problem->command == nullptr && argc > 1) {
      problem->message = UnknownCommand(app, argv[1]);
    } else if (problem->command != nullptr && dynamic_cast<const CLI::ExtrasError*>(&e)) {
      problem->unknown_flag = UnknownFlag(*problem->command, argc, argv, &problem->hint);
    }
    return -1;
  }
}

}  // namespace tape::engine

#endif  // TAPE_ENGINE_INTERNAL_COMMAND_LINE_H_
