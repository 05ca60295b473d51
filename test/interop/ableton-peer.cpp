// ableton-peer: a tiny line-protocol driver around the PUBLIC ableton::Link API.
//
// Used only by the interop tests (test/interop/harness.ts). One command per
// stdin line; exactly one JSON reply line per command on stdout, plus
// unsolicited {"event":...} lines emitted from Link's own thread.
//
// All times at this interface are CLOCK_MONOTONIC microseconds (the clock of
// Node's process.hrtime.bigint()). Link's clock (link.clock().micros()) is a
// different clock on Linux, so every command re-estimates the offset between
// the two (see ClockBridge).
//
// Build (see buildAbletonPeer in harness.ts):
//   g++ -std=c++14 -O2 -DLINK_PLATFORM_UNIX=1 -DLINK_PLATFORM_LINUX=1
//       -o build/ableton-peer ableton-peer.cpp -lpthread

#include <ableton/Link.hpp>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <time.h>
#include <vector>

namespace
{

using micros = std::chrono::microseconds;

// ---------------------------------------------------------------- output

std::mutex gOutMutex;

// Replies (main thread) and events (Link thread) share stdout: one writer at
// a time, always a whole line, always flushed so the reader sees it at once.
void emitLine(const std::string& line)
{
  std::lock_guard<std::mutex> lock(gOutMutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// JSON cannot carry NaN/Infinity; print null so the line stays parseable.
std::string num(double x)
{
  if (!std::isfinite(x))
  {
    return "null";
  }
  // Shortest of %.15g..%.17g that round-trips: exact, but no 6.0002079999.
  char buf[32];
  for (int precision = 15; precision <= 17; ++precision)
  {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x)
    {
      break;
    }
  }
  return buf;
}

std::string num(std::int64_t x)
{
  return std::to_string(x);
}

std::string boolean(bool b)
{
  return b ? "true" : "false";
}

std::string quote(const std::string& s)
{
  std::string out = "\"";
  for (char c : s)
  {
    if (c == '"' || c == '\\')
    {
      out += '\\';
      out += c;
    }
    else if (static_cast<unsigned char>(c) < 0x20)
    {
      out += ' ';
    }
    else
    {
      out += c;
    }
  }
  return out + "\"";
}

// ----------------------------------------------------------------- clocks

std::int64_t monoMicros()
{
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// Maps between CLOCK_MONOTONIC µs (the interface clock) and Link's clock.
// The two clocks may drift slightly (NTP slews MONOTONIC but not _RAW), so
// the offset is re-estimated for every command; it costs a few µs.
class ClockBridge
{
public:
  explicit ClockBridge(const ableton::Link& link)
    : mLink(link)
  {
  }

  // Take several (mono, link, mono) samples back to back and keep the one
  // with the tightest bracket: it is least disturbed by preemption.
  void estimate()
  {
    std::int64_t bestWidth = INT64_MAX;
    for (int i = 0; i < 8; ++i)
    {
      const std::int64_t before = monoMicros();
      const std::int64_t link = mLink.clock().micros().count();
      const std::int64_t after = monoMicros();
      const std::int64_t width = after - before;
      if (width < bestWidth)
      {
        bestWidth = width;
        mLinkMinusMono = link - (before + after) / 2;
      }
    }
  }

  micros toLink(std::int64_t mono) const
  {
    return micros(mono + mLinkMinusMono);
  }

  std::int64_t toMono(micros link) const
  {
    return link.count() - mLinkMinusMono;
  }

private:
  const ableton::Link& mLink;
  std::int64_t mLinkMinusMono = 0;
};

// ---------------------------------------------------------------- parsing

struct BadInput : std::runtime_error
{
  using std::runtime_error::runtime_error;
};

double parseNumber(const std::string& token, const char* what)
{
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(token.c_str(), &end);
  if (token.empty() || *end != '\0' || errno != 0 || !std::isfinite(value))
  {
    throw BadInput(std::string("bad ") + what + ": '" + token + "'");
  }
  return value;
}

// Optional positional argument: present -> parsed, absent -> fallback.
double argOr(const std::vector<std::string>& args,
  std::size_t index,
  double fallback,
  const char* what)
{
  return index < args.size() ? parseNumber(args[index], what) : fallback;
}

double argRequired(
  const std::vector<std::string>& args, std::size_t index, const char* what)
{
  if (index >= args.size())
  {
    throw BadInput(std::string("missing ") + what);
  }
  return parseNumber(args[index], what);
}

std::int64_t toMicros(double x)
{
  return static_cast<std::int64_t>(std::llround(x));
}

std::vector<std::string> splitWords(const std::string& line)
{
  std::istringstream in(line);
  std::vector<std::string> words;
  std::string word;
  while (in >> word)
  {
    words.push_back(word);
  }
  return words;
}

// ------------------------------------------------------------------- peer

struct Options
{
  double bpm = 120.0;
  double quantum = 4.0;
  bool startStopSync = false;
};

class Peer
{
public:
  explicit Peer(const Options& opts)
    : mLink(opts.bpm)
    , mClock(mLink)
    , mQuantum(opts.quantum)
  {
    installCallbacks();
    mLink.enableStartStopSync(opts.startStopSync);
  }

  // Returns false when the process should exit.
  bool handle(const std::string& line)
  {
    const std::vector<std::string> words = splitWords(line);
    if (words.empty())
    {
      emitLine(R"({"ok":false,"error":"empty command"})");
      return true;
    }
    const std::string& cmd = words[0];
    const std::vector<std::string> args(words.begin() + 1, words.end());
    mClock.estimate();
    try
    {
      if (cmd == "quit")
      {
        mLink.enable(false);
        emitLine(R"({"ok":true})");
        return false;
      }
      emitLine(dispatch(cmd, args));
    }
    catch (const std::exception& e)
    {
      emitLine(std::string(R"({"ok":false,"error":)") + quote(e.what()) + "}");
    }
    return true;
  }

private:
  using Args = std::vector<std::string>;

  void installCallbacks()
  {
    mLink.setNumPeersCallback([](std::size_t n) {
      emitLine(R"({"event":"peers","n":)" + std::to_string(n)
               + R"(,"t":)" + num(monoMicros()) + "}");
    });
    mLink.setTempoCallback([](double bpm) {
      emitLine(R"({"event":"tempo","bpm":)" + num(bpm) + R"(,"t":)"
               + num(monoMicros()) + "}");
    });
    mLink.setStartStopCallback([](bool isPlaying) {
      emitLine(R"({"event":"playing","isPlaying":)" + boolean(isPlaying)
               + R"(,"t":)" + num(monoMicros()) + "}");
    });
  }

  std::string dispatch(const std::string& cmd, const Args& args)
  {
    if (cmd == "enable") return setEnabled(true);
    if (cmd == "disable") return setEnabled(false);
    if (cmd == "startstopsync") return startStopSync(args);
    if (cmd == "now") return R"({"ok":true,"t":)" + num(monoMicros()) + "}";
    if (cmd == "status") return status(args);
    if (cmd == "phases") return phases(args);
    if (cmd == "tempo") return tempo(args);
    if (cmd == "play") return setPlaying(true, args);
    if (cmd == "stop") return setPlaying(false, args);
    if (cmd == "quantized-start") return quantizedStart(args);
    if (cmd == "force-beat") return mapBeat(true, args);
    if (cmd == "request-beat") return mapBeat(false, args);
    if (cmd == "quantum") return setQuantum(args);
    if (cmd == "time-at-beat") return timeAtBeat(args);
    throw BadInput("unknown command '" + cmd + "'");
  }

  std::string setEnabled(bool enabled)
  {
    mLink.enable(enabled);
    return R"({"ok":true})";
  }

  std::string startStopSync(const Args& args)
  {
    const double flag = argRequired(args, 0, "flag (1|0)");
    mLink.enableStartStopSync(flag != 0.0);
    return R"({"ok":true})";
  }

  std::string status(const Args& args)
  {
    const std::int64_t t = toMicros(argOr(args, 0, monoMicros(), "time"));
    const auto state = mLink.captureAppSessionState();
    const micros lt = mClock.toLink(t);
    std::ostringstream os;
    os << R"({"ok":true,"t":)" << num(t)
       << R"(,"enabled":)" << boolean(mLink.isEnabled())
       << R"(,"numPeers":)" << mLink.numPeers()
       << R"(,"tempo":)" << num(state.tempo())
       << R"(,"isPlaying":)" << boolean(state.isPlaying())
       << R"(,"beat":)" << num(state.beatAtTime(lt, mQuantum))
       << R"(,"phase":)" << num(state.phaseAtTime(lt, mQuantum))
       << R"(,"quantum":)" << num(mQuantum)
       << R"(,"timeForIsPlaying":)" << num(mClock.toMono(state.timeForIsPlaying()))
       << R"(,"startStopSync":)" << boolean(mLink.isStartStopSyncEnabled())
       << "}";
    return os.str();
  }

  // One captured state for all instants, so the values are mutually
  // consistent even if the session changes while we evaluate them.
  std::string phases(const Args& args)
  {
    const double q = argRequired(args, 0, "quantum");
    const auto state = mLink.captureAppSessionState();
    std::string phaseList;
    std::string beatList;
    for (std::size_t i = 1; i < args.size(); ++i)
    {
      const micros lt = mClock.toLink(toMicros(parseNumber(args[i], "time")));
      const char* sep = i > 1 ? "," : "";
      phaseList += sep + num(state.phaseAtTime(lt, q));
      beatList += sep + num(state.beatAtTime(lt, q));
    }
    return R"({"ok":true,"phases":[)" + phaseList + R"(],"beats":[)" + beatList
           + "]}";
  }

  std::string tempo(const Args& args)
  {
    const double bpm = argRequired(args, 0, "bpm");
    const std::int64_t t = toMicros(argOr(args, 1, monoMicros(), "time"));
    auto state = mLink.captureAppSessionState();
    state.setTempo(bpm, mClock.toLink(t));
    mLink.commitAppSessionState(state);
    return R"({"ok":true,"t":)" + num(t) + "}";
  }

  std::string setPlaying(bool playing, const Args& args)
  {
    const std::int64_t t = toMicros(argOr(args, 0, monoMicros(), "time"));
    auto state = mLink.captureAppSessionState();
    state.setIsPlaying(playing, mClock.toLink(t));
    mLink.commitAppSessionState(state);
    return R"({"ok":true,"t":)" + num(t) + "}";
  }

  std::string quantizedStart(const Args& args)
  {
    const double q = argOr(args, 0, mQuantum, "quantum");
    const std::int64_t t = monoMicros();
    auto state = mLink.captureAppSessionState();
    state.setIsPlayingAndRequestBeatAtTime(true, mClock.toLink(t), 0.0, q);
    mLink.commitAppSessionState(state);
    return R"({"ok":true,"t":)" + num(t) + R"(,"timeForIsPlaying":)"
           + num(mClock.toMono(state.timeForIsPlaying())) + R"(,"timeAtBeat0":)"
           + num(mClock.toMono(state.timeAtBeat(0.0, q))) + "}";
  }

  // force-beat / request-beat B [Q] [t]
  std::string mapBeat(bool force, const Args& args)
  {
    const double beat = argRequired(args, 0, "beat");
    const double q = argOr(args, 1, mQuantum, "quantum");
    const std::int64_t t = toMicros(argOr(args, 2, monoMicros(), "time"));
    auto state = mLink.captureAppSessionState();
    if (force)
    {
      state.forceBeatAtTime(beat, mClock.toLink(t), q);
    }
    else
    {
      state.requestBeatAtTime(beat, mClock.toLink(t), q);
    }
    mLink.commitAppSessionState(state);
    return R"({"ok":true,"t":)" + num(t) + R"(,"timeAtBeat":)"
           + num(mClock.toMono(state.timeAtBeat(beat, q))) + "}";
  }

  std::string setQuantum(const Args& args)
  {
    const double q = argRequired(args, 0, "quantum");
    if (q <= 0.0)
    {
      throw BadInput("quantum must be > 0");
    }
    mQuantum = q;
    return R"({"ok":true,"quantum":)" + num(q) + "}";
  }

  std::string timeAtBeat(const Args& args)
  {
    const double beat = argRequired(args, 0, "beat");
    const double q = argOr(args, 1, mQuantum, "quantum");
    const auto state = mLink.captureAppSessionState();
    return R"({"ok":true,"t":)" + num(mClock.toMono(state.timeAtBeat(beat, q)))
           + "}";
  }

  ableton::Link mLink;
  ClockBridge mClock;
  double mQuantum;
};

Options parseOptions(int argc, char** argv)
{
  Options opts;
  for (int i = 1; i < argc; ++i)
  {
    const std::string arg = argv[i];
    const bool hasValue = i + 1 < argc;
    if (arg == "--bpm" && hasValue)
    {
      opts.bpm = parseNumber(argv[++i], "--bpm");
    }
    else if (arg == "--quantum" && hasValue)
    {
      opts.quantum = parseNumber(argv[++i], "--quantum");
    }
    else if (arg == "--start-stop-sync")
    {
      opts.startStopSync = true;
    }
    else
    {
      throw BadInput("unknown or incomplete argument '" + arg + "'");
    }
  }
  return opts;
}

} // namespace

int main(int argc, char** argv)
{
  Options opts;
  try
  {
    opts = parseOptions(argc, argv);
  }
  catch (const std::exception& e)
  {
    std::cerr << "ableton-peer: " << e.what() << std::endl;
    return 2;
  }

  Peer peer(opts);
  emitLine(R"({"event":"ready","t":)" + num(monoMicros()) + "}");

  std::string line;
  while (std::getline(std::cin, line))
  {
    if (!peer.handle(line))
    {
      return 0;
    }
  }
  // stdin closed without "quit": still leave the session politely.
  peer.handle("disable");
  return 0;
}
