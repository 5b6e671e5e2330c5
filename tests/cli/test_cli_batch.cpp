// CLI batch tests: the real binary on folders, lists, pipes and shards,
// checking exit codes, stderr lines, and that nothing but the planned
// outputs is ever written.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <set>
#include <sstream>

#include "tconv/io/npy.hpp"

namespace fs = std::filesystem;

namespace {

struct Run {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Single-quoted for the shell ('\'' for each quote inside).
std::string quoted(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A fresh folder per test; `run` executes a shell line in it with
// $T standing for the binary, capturing stdout and stderr separately.
struct Sandbox {
  fs::path path;
  Sandbox() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("tconv_batch_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Sandbox() {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(path, ec); it != fs::recursive_directory_iterator();
         it.increment(ec))
      ::chmod(it->path().c_str(), 0755);
    fs::remove_all(path, ec);
  }
  [[nodiscard]] fs::path operator/(const std::string& rel) const { return path / rel; }

  Run run(const std::string& line) const {
    const fs::path out = path / ".stdout";
    const fs::path err = path / ".stderr";
    const std::string cmd = "cd " + quoted(path.string()) + " && T=" + quoted(TCONV_CLI) +
                            " && export T && bash -c " + quoted("set -o pipefail; " + line) +
                            " >" + quoted(out.string()) + " 2>" + quoted(err.string());
    const int status = std::system(cmd.c_str());
    Run r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    fs::remove(out);
    fs::remove(err);
    return r;
  }
};

cv::Mat noise(int rows, int cols, int type, unsigned seed) {
  cv::Mat m(rows, cols, type);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, 0, CV_MAT_DEPTH(type) == CV_16U ? 65535 : 255);
  return m;
}

void write_image(const fs::path& p, const cv::Mat& m) {
  fs::create_directories(p.parent_path());
  REQUIRE(cv::imwrite(p.string(), m));
}

// Every regular file under `root` (relative path -> bytes), hidden ones too.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> files;
  if (!fs::exists(root)) return files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const auto rel = e.path().lexically_relative(root).generic_string();
    if (e.is_fifo()) files[rel] = "<fifo>";
    else if (e.is_regular_file()) {
      struct stat st {};
      ::stat(e.path().c_str(), &st);
      files[rel] = (st.st_mode & 0444) ? slurp(e.path()) : "<mode " + std::to_string(st.st_mode & 0777) + ">";
    }
  }
  return files;
}

std::set<std::string> names(const std::map<std::string, std::string>& files) {
  std::set<std::string> n;
  for (const auto& [k, v] : files) n.insert(k);
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

int count_lines_with(const std::string& text, const std::string& needle) {
  int n = 0;
  for (const auto& l : lines_of(text)) n += l.find(needle) != std::string::npos;
  return n;
}

// Six small good images of different kinds.
void good_images(const fs::path& dir) {
  write_image(dir / "rgb.png", noise(9, 7, CV_8UC3, 1));
  write_image(dir / "gray.png", noise(6, 11, CV_8UC1, 2));
  write_image(dir / "rgba.png", noise(5, 8, CV_8UC4, 3));
  write_image(dir / "deep.tif", noise(7, 7, CV_16UC3, 4));
  write_image(dir / "photo.jpg", noise(8, 8, CV_8UC3, 5));
  write_image(dir / "pic.bmp", noise(4, 9, CV_8UC3, 6));
}

}  // namespace

TEST_CASE("a folder of good and bad files: good ones done, each bad one named, exit 1",
          "[cli][batch]") {
  Sandbox box;
  const fs::path in = box / "in";
  good_images(in);
  std::vector<unsigned char> png;
  REQUIRE(cv::imencode(".png", noise(16, 16, CV_8UC3, 7), png));
  std::string good_png(png.begin(), png.end());
  spit(in / "corrupt.png", good_png.substr(0, 33) + std::string(200, '\x5a'));
  std::vector<unsigned char> jpg;
  REQUIRE(cv::imencode(".jpg", noise(64, 64, CV_8UC3, 8), jpg));
  spit(in / "truncated.jpg", std::string(jpg.begin(), jpg.begin() + static_cast<long>(jpg.size() / 3)));
  spit(in / "empty.png", "");
  spit(in / "text.png", "this is not an image\n");
  // 40 bytes: PNG signature, IHDR declaring 100000 x 100000 RGB, start of an IDAT.
  const std::string bomb = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\0\0\x0dIHDR", 8) +
                           std::string("\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00", 13) +
                           std::string("\0\0\0\0", 4) + std::string("\0\0\x10\0IDA", 7);
  REQUIRE(bomb.size() == 40);
  spit(in / "bomb.png", bomb);
  REQUIRE(::mkfifo((in / "fifo.png").c_str(), 0644) == 0);
  // Two inputs with one output name under --format png: dup.bmp wins (sorted first).
  write_image(in / "dup.bmp", noise(3, 3, CV_8UC3, 9));
  write_image(in / "dup.png", noise(3, 3, CV_8UC3, 10));
  spit(in / "locked.png", good_png);
  ::chmod((in / "locked.png").c_str(), 0);
  const bool root = ::geteuid() == 0;
  if (root) WARN("running as root: permissions do not apply, the unreadable-file check is skipped");

  fs::create_directories(box / "out");
  spit(box / "out" / "keep.txt", "pre-existing");
  const auto before_in = snapshot(in);
  const auto before_out = snapshot(box / "out");

  const Run r = box.run("$T in -o out --format png -j 2 -s 2");
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"corrupt.png", ""},
      {"truncated.jpg", "truncated JPEG (no end-of-image marker)"},
      {"empty.png", "empty file"},
      {"text.png", "not a PNG, JPEG, TIFF, WebP or BMP file"},
      {"bomb.png", "header declares WxH 100000x100000"},
      {"fifo.png", "not a regular file"},
      {"dup.png", "out/dup_x2.png: is also the output of in/dup.bmp in this batch"},
  };
  for (const auto& [file, reason] : bad) {
    INFO(file);
    CHECK(count_lines_with(r.err, "error: in/" + file + ": " + reason) == 1);
  }
  if (!root) CHECK(count_lines_with(r.err, "error: in/locked.png: cannot open: Permission denied") == 1);
  CHECK(count_lines_with(r.err, "tconv-upsample: error:") == static_cast<int>(bad.size()) + (root ? 0 : 1));
  CHECK_THAT(r.err, Catch::Contains(root ? "8 done, 0 skipped, 7 failed" : "7 done, 0 skipped, 8 failed"));

  // Inputs untouched, and the output folder holds exactly the good results.
  CHECK(snapshot(in) == before_in);
  const auto after = snapshot(box / "out");
  std::set<std::string> expected = {"keep.txt", "rgb_x2.png", "gray_x2.png", "rgba_x2.png",
                                    "deep_x2.png", "photo_x2.png", "pic_x2.png", "dup_x2.png"};
  if (root) expected.insert("locked_x2.png");
  CHECK(names(after) == expected);
  CHECK(after.at("keep.txt") == before_out.at("keep.txt"));
  const cv::Mat deep = cv::imread((box / "out/deep_x2.png").string(), cv::IMREAD_UNCHANGED);
  CHECK(deep.rows == 14);
  CHECK(deep.type() == CV_16UC3);
  REQUIRE(box.run("$T in/dup.bmp -s 2 -o dup_alone.png").exit_code == 0);
  CHECK(slurp(box / "out/dup_x2.png") == slurp(box / "dup_alone.png"));
}

TEST_CASE("recursive mirroring, no-clobber, --skip-existing, --overwrite", "[cli][batch]") {
  Sandbox box;
  write_image(box / "in/a.png", noise(5, 5, CV_8UC3, 1));
  write_image(box / "in/sub/b.png", noise(5, 6, CV_8UC1, 2));
  write_image(box / "in/sub/deep/c.jpg", noise(6, 5, CV_8UC3, 3));

  const Run flat = box.run("$T in -o out/");
  CHECK(flat.exit_code == 0);
  CHECK(names(snapshot(box / "out")) == std::set<std::string>{"a_x2.png"});

  const Run deep = box.run("$T -r in -o out2");
  INFO(deep.err);
  CHECK(deep.exit_code == 0);
  CHECK(names(snapshot(box / "out2")) ==
        std::set<std::string>{"a_x2.png", "sub/b_x2.png", "sub/deep/c_x2.jpg"});
  CHECK(cv::imread((box / "out2/sub/deep/c_x2.jpg").string()).rows == 12);

  // No clobbering: every existing output is reported and left as it was.
  spit(box / "out2/sub/b_x2.png", "mine");
  const auto before = snapshot(box / "out2");
  const Run again = box.run("$T -r in -o out2");
  CHECK(again.exit_code == 1);
  CHECK(count_lines_with(again.err, "exists (use --overwrite to replace it)") == 3);
  CHECK(snapshot(box / "out2") == before);

  // --skip-existing: nothing to redo, exit 0, counted as skipped.
  fs::remove(box / "out2/a_x2.png");
  const Run skip = box.run("$T -r in -o out2 --skip-existing");
  INFO(skip.err);
  CHECK(skip.exit_code == 0);
  CHECK_THAT(skip.err, Catch::Contains("1 done, 2 skipped, 0 failed"));
  CHECK(slurp(box / "out2/sub/b_x2.png") == "mine");
  CHECK(fs::exists(box / "out2/a_x2.png"));

  const Run over = box.run("$T -r in -o out2 --overwrite");
  CHECK(over.exit_code == 0);
  CHECK(cv::imread((box / "out2/sub/b_x2.png").string(), cv::IMREAD_UNCHANGED).cols == 12);
  CHECK(box.run("$T in -o out2 --overwrite --skip-existing").exit_code == 2);
}

TEST_CASE("dry run (--dry-run) lists and writes nothing; an empty folder is exit 3", "[cli][batch]") {
  Sandbox box;
  good_images(box / "in");
  spit(box / "in/notes.txt", "not picked up");
  const auto before = snapshot(box.path);
  const Run dry = box.run("$T in -o out --dry-run");
  INFO(dry.err);
  CHECK(dry.exit_code == 0);
  CHECK(lines_of(dry.out).size() == 6);
  CHECK_THAT(dry.out, Catch::Contains("in/deep.tif -> out/deep_x2.tif"));
  CHECK(snapshot(box.path) == before);
  CHECK_FALSE(fs::exists(box / "out"));

  fs::create_directories(box / "empty");
  const Run none = box.run("$T empty -o out");
  CHECK(none.exit_code == 3);
  CHECK_THAT(none.err, Catch::Contains("no input matched"));
  CHECK(box.run("$T --files-from /dev/null -o out").exit_code == 3);
  CHECK_FALSE(fs::exists(box / "out"));
}

TEST_CASE("stdin to stdout: a pipeline equals the same steps through files", "[cli][batch]") {
  Sandbox box;
  write_image(box / "a.png", noise(7, 9, CV_8UC3, 4));
  REQUIRE(box.run("$T a.png -s 2 -o b.png && $T b.png -s 2 -o c.png").exit_code == 0);
  const Run pipe = box.run("cat a.png | $T - -s 2 -o - --format png | $T - -s 2 -o piped.png");
  INFO(pipe.err);
  REQUIRE(pipe.exit_code == 0);
  CHECK(slurp(box / "piped.png") == slurp(box / "c.png"));
  // Without --format, stdout gets the input's own format.
  const Run same = box.run("$T - -o - < a.png > same.png");
  CHECK(same.exit_code == 0);
  CHECK(slurp(box / "same.png") == slurp(box / "b.png"));
  // Logs go to stderr only: stdout is exactly the image.
  const Run loud = box.run("$T a.png -v -o - --format bmp");
  CHECK(loud.out.substr(0, 2) == "BM");
  CHECK_FALSE(loud.err.empty());
  // --max-input-bytes caps stdin.
  const Run big = box.run("$T - -o out.png --max-input-bytes 100 < a.png");
  CHECK(big.exit_code == 1);
  CHECK_THAT(big.err, Catch::Contains("stdin: more than the limit of 100 bytes"));
  CHECK_FALSE(fs::exists(box / "out.png"));
}

TEST_CASE("a stream of PNGs on stdin: each frame as its own run, in order, to stdout",
          "[cli][batch][stream]") {
  Sandbox box;
  write_image(box / "a.png", noise(7, 9, CV_8UC3, 4));
  write_image(box / "b.png", noise(5, 6, CV_8UC3, 5));  // another size
  write_image(box / "c.png", noise(4, 4, CV_8UC1, 6));  // another kind (gray)
  REQUIRE(box.run("$T a.png -o a2.png && $T b.png -o b2.png && $T c.png -o c2.png").exit_code == 0);
  const std::string a2 = slurp(box / "a2.png");
  const std::string b2 = slurp(box / "b2.png");
  const std::string c2 = slurp(box / "c2.png");
  const Run r = box.run("cat a.png b.png c.png a.png | $T - -o - > out.pngs");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(slurp(box / "out.pngs") == a2 + b2 + c2 + a2);
  CHECK_THAT(r.err, Catch::Contains("stdin: 4 frames (PNG stream) -> stdout"));
  // One PNG is one image, as before (the README's --format webp line).
  CHECK(box.run("$T - -o one.png < a.png").exit_code == 0);
  CHECK(slurp(box / "one.png") == a2);
  // A stream goes to stdout as PNG only: refused before anything is written.
  const Run file = box.run("cat a.png b.png | $T - -o out.png");
  CHECK(file.exit_code == 2);
  CHECK_THAT(file.err, Catch::Contains("a stream is written to -o -"));
  CHECK_FALSE(fs::exists(box / "out.png"));
  const Run webp = box.run("cat a.png b.png | $T - -o - --format webp > out.webp");
  CHECK(webp.exit_code == 2);
  CHECK_THAT(webp.err, Catch::Contains("--format webp: a stream of images on stdin is written as PNG"));
  CHECK(slurp(box / "out.webp").empty());
  // A frame cut short: one line naming it, exit 1, the frames before it written.
  const Run cut = box.run("cat a.png b.png c.png | head -c -5 | $T - -o - > cut.pngs");
  CHECK(cut.exit_code == 1);
  CHECK(count_lines_with(cut.err, "error:") == 1);
  CHECK_THAT(cut.err, Catch::Contains("error: stdin: frame 3: truncated"));
  CHECK(slurp(box / "cut.pngs") == a2 + b2);
  // Bytes after a single PNG that are no PNG: an error, nothing written.
  const Run junk = box.run("{ cat a.png; echo junk; } | $T - -o junk.png");
  CHECK(junk.exit_code == 1);
  CHECK_THAT(junk.err, Catch::Contains("stdin: frame 2: not a PNG"));
  CHECK_FALSE(fs::exists(box / "junk.png"));
}

TEST_CASE("a full device or a closed pipe on stdout exits non-zero with a message",
          "[cli][batch]") {
  Sandbox box;
  // Larger than a pipe buffer, so the write cannot finish before the reader is gone.
  write_image(box / "a.png", noise(256, 256, CV_8UC3, 5));
  const Run full = box.run("$T a.png -s 4 -o - > /dev/full");
  CHECK(full.exit_code == 1);
  CHECK_THAT(full.err, Catch::Contains("stdout: write failed: No space left on device"));
  const Run closed = box.run("$T a.png -s 4 -o - | true; exit ${PIPESTATUS[0]}");
  CHECK(closed.exit_code == 1);
  CHECK_THAT(closed.err, Catch::Contains("stdout: write failed: the reading end of the pipe was closed"));
}

TEST_CASE("path lists (--files-from -0), --report and --progress json", "[cli][batch]") {
  Sandbox box;
  good_images(box / "in");
  spit(box / "in/bad.png", "nope");
  const Run r = box.run(
      "printf 'in/rgb.png\\0in/bad.png\\0in/deep.tif\\0in/missing.png\\0' | "
      "$T --files-from - -0 -o out --report rep.json --progress json");
  INFO(r.err);
  CHECK(r.exit_code == 1);
  // Listed relative paths keep their folders under -o.
  CHECK(names(snapshot(box / "out")) == std::set<std::string>{"in/rgb_x2.png", "in/deep_x2.tif"});

  const auto report = nlohmann::json::parse(slurp(box / "rep.json"));
  CHECK(report["summary"]["done"] == 2);
  CHECK(report["summary"]["failed"] == 2);
  REQUIRE(report["files"].size() == 4);
  CHECK(report["files"][0]["input"] == "in/rgb.png");
  CHECK(report["files"][0]["output"] == "out/in/rgb_x2.png");
  CHECK(report["files"][0]["status"] == "done");
  CHECK(report["files"][1]["status"] == "failed");
  CHECK_THAT(report["files"][1]["reason"].get<std::string>(), Catch::Contains("not a PNG"));
  CHECK(report["files"][3]["status"] == "failed");
  CHECK_THAT(report["files"][3]["reason"].get<std::string>(), Catch::Contains("in/missing.png: cannot read"));

  int json_lines = 0;
  std::set<std::string> inputs;
  for (const auto& line : lines_of(r.err)) {
    if (line.empty() || line.front() != '{') continue;
    const auto j = nlohmann::json::parse(line);
    inputs.insert(j["input"].get<std::string>());
    CHECK(j["total"] == 4);
    ++json_lines;
  }
  CHECK(json_lines == 4);
  CHECK(inputs.size() == 4);
}

TEST_CASE("shards (--shard K/N): the shards together process every input exactly once", "[cli][batch]") {
  Sandbox box;
  for (int i = 0; i < 12; ++i)
    write_image(box / ("in/f" + std::to_string(i) + ".png"), noise(3, 4, CV_8UC1, 20 + i));
  std::multiset<std::string> done;
  for (int k = 1; k <= 3; ++k) {
    const std::string rep = "r" + std::to_string(k) + ".json";
    const Run r = box.run("$T in -o out --report " + rep + " --shard " + std::to_string(k) + "/3");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    const auto report = nlohmann::json::parse(slurp(box / rep));
    for (const auto& f : report["files"]) {
      CHECK(f["status"] == "done");
      done.insert(f["input"].get<std::string>());
    }
  }
  CHECK(done.size() == 12);
  CHECK(std::set<std::string>(done.begin(), done.end()).size() == 12);
  CHECK(snapshot(box / "out").size() == 12);
  // Re-running a shard with --skip-existing is idempotent: nothing new to do.
  const Run again = box.run("$T in -o out --shard 2/3 --skip-existing");
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.err, Catch::Contains("0 done"));
}

TEST_CASE("outputs are byte-identical for any --jobs and --threads", "[cli][batch][threads]") {
  Sandbox box;
  good_images(box / "in");
  write_image(box / "in/big.png", noise(40, 50, CV_8UC3, 11));
  for (const char* args : {"-j 1 -o o1", "-j 2 -o o2", "-j 2 -t 2 -o o3", "-j 1 -t 1 -o o4"}) {
    const Run r = box.run(std::string("$T in -s 3 -k bicubic ") + args);
    INFO(args << "\n" << r.err);
    REQUIRE(r.exit_code == 0);
  }
  const auto one = snapshot(box / "o1");
  CHECK(one.size() == 7);
  CHECK(snapshot(box / "o2") == one);
  CHECK(snapshot(box / "o3") == one);
  CHECK(snapshot(box / "o4") == one);
}

TEST_CASE("fail fast (--fail-fast) stops starting new inputs after a failure", "[cli][batch]") {
  Sandbox box;
  fs::create_directories(box / "in");
  spit(box / "in/a.png", "bad");
  for (int i = 0; i < 4; ++i) write_image(box / ("in/b" + std::to_string(i) + ".png"), noise(3, 3, CV_8UC1, 30 + i));
  const Run r = box.run("$T in -o out -j 1 --fail-fast --report rep.json");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("0 done, 0 skipped, 1 failed, 4 not run"));
  CHECK_FALSE(fs::exists(box / "out"));
  CHECK(nlohmann::json::parse(slurp(box / "rep.json"))["files"][1]["status"] == "not run");
}

TEST_CASE("the progress bar shows on a terminal only; stdout refuses a terminal", "[cli][batch]") {
  Sandbox box;
  good_images(box / "in");
  const Run piped = box.run("$T in -o out");
  CHECK(piped.exit_code == 0);
  CHECK(piped.err.find('\r') == std::string::npos);
  CHECK(piped.err.find("files/s") == std::string::npos);
  if (box.run("command -v script").exit_code != 0) {
    WARN("util-linux `script` not found: the terminal checks are skipped");
    return;
  }
  // script(1) gives the command a pseudo-terminal for stdin, stdout and stderr.
  const Run tty = box.run("script -qec \"$T in -o out2 -q\" /dev/null");
  CHECK(tty.exit_code == 0);
  CHECK_THAT(tty.out, Catch::Contains("6/6") && Catch::Contains("files/s  ETA"));
  const Run binary = box.run("script -qec \"$T in/rgb.png -o -\" /dev/null");
  CHECK(binary.exit_code == 2);
  CHECK_THAT(binary.out, Catch::Contains("-o -: stdout is a terminal"));
}

// ---------------------------------------------------------------------------
// Every output, side path and signal keeps the user's files.

namespace {

int temp_files_under(const fs::path& root) {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root))
    n += e.path().filename().string().rfind('.', 0) == 0 &&
         e.path().filename().string().find(".tmp-") != std::string::npos;
  return n;
}

// The eight hex digits write_file_atomic puts after ".tmp-": the 32-bit
// FNV-1a hash of the host name.
std::string host_tag() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  std::uint32_t h = 2166136261u;
  for (const char* c = name; *c != 0; ++c) h = (h ^ static_cast<unsigned char>(*c)) * 16777619u;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", h);
  return hex;
}

// A process id that no process has now: a child that already ended.
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

}  // namespace

TEST_CASE("the report (--report) follows the rules of every output, checked before any work", "[cli][batch]") {
  Sandbox box;
  write_image(box / "a.png", noise(5, 5, CV_8UC3, 1));
  write_image(box / "b.png", noise(5, 6, CV_8UC1, 2));
  spit(box / "notes.txt", "my notes");
  const auto before = snapshot(box.path);
  struct Case {
    std::string flags;
    std::string message;
  };
  for (const Case& c : {Case{"--report a.png", "--report a.png: is an input of this batch"},
                        Case{"--report b_x2.png", "--report b_x2.png: is an output of this batch"},
                        Case{"--report b_x2.png --overwrite", "is an output of this batch"},
                        Case{"--report notes.txt", "exists and is not a report of this tool"},
                        Case{"--report missing/r.json", "the folder missing does not exist"}}) {
    const Run r = box.run("$T a.png b.png " + c.flags);
    INFO(c.flags << "\n" << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(c.message));
    CHECK(snapshot(box.path) == before);  // nothing written, nothing replaced
  }
  // A new report; a rerun may replace its own earlier report, not other files.
  REQUIRE(box.run("$T a.png b.png --report r.json").exit_code == 0);
  const Run again = box.run("$T a.png b.png --report r.json --skip-existing");
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(nlohmann::json::parse(slurp(box / "r.json"))["summary"]["skipped"] == 2);
  // --overwrite may replace an unrelated file (the user asked for it).
  CHECK(box.run("$T a.png b.png --report notes.txt --overwrite").exit_code == 0);
  CHECK(nlohmann::json::parse(slurp(box / "notes.txt"))["summary"]["done"] == 2);
}

TEST_CASE("a folder processed in place twice makes no outputs of outputs", "[cli][batch]") {
  Sandbox box;
  write_image(box / "photos/a.png", noise(5, 5, CV_8UC3, 1));
  write_image(box / "photos/b.jpg", noise(6, 5, CV_8UC3, 2));
  REQUIRE(box.run("$T photos").exit_code == 0);
  const auto first = snapshot(box / "photos");
  CHECK(names(first) == std::set<std::string>{"a.png", "a_x2.png", "b.jpg", "b_x2.jpg"});

  const Run again = box.run("$T photos");
  INFO(again.err);
  CHECK(again.exit_code == 1);  // no clobbering without --overwrite
  CHECK(count_lines_with(again.err, "exists (use --overwrite to replace it)") == 2);
  CHECK(snapshot(box / "photos") == first);

  const Run skip = box.run("$T photos --skip-existing");
  INFO(skip.err);
  CHECK(skip.exit_code == 0);
  CHECK_THAT(skip.err, Catch::Contains("0 done, 2 skipped, 0 failed"));
  const Run glob = box.run("$T photos/* --skip-existing");  // the shell's list
  CHECK(glob.exit_code == 0);
  CHECK(box.run("$T photos --overwrite").exit_code == 0);
  CHECK(names(snapshot(box / "photos")) == names(first));
}

TEST_CASE("two runs with --skip-existing on one folder share the work without failing",
          "[cli][batch]") {
  Sandbox box;
  for (int i = 0; i < 24; ++i)
    write_image(box / ("in/p" + std::to_string(i) + ".png"), noise(40, 40, CV_8UC3, 10 + i));
  const Run r = box.run(
      "($T in -o out/ -s 3 -j 1 --skip-existing 2>e1; echo $? >rc1) & "
      "($T in -o out/ -s 3 -j 1 --skip-existing 2>e2; echo $? >rc2) & wait; cat rc1 rc2 e1 e2");
  INFO(r.out);
  CHECK(lines_of(r.out).at(0) == "0");
  CHECK(lines_of(r.out).at(1) == "0");
  CHECK(count_lines_with(r.out, "--overwrite") == 0);
  CHECK(names(snapshot(box / "out")).size() == 24);
  for (int i = 0; i < 24; ++i)
    CHECK(cv::imread((box / ("out/p" + std::to_string(i) + "_x3.png")).string()).rows == 120);
}

TEST_CASE("input kinds come from the bytes; a bad input found in a batch is exit 1",
          "[cli][batch]") {
  Sandbox box;
  write_image(box / "good.png", noise(5, 5, CV_8UC3, 1));
  fs::copy_file(box / "good.png", box / "scan.dat");
  spit(box / "notes.dat", "not an image");
  const Run named = box.run("$T good.png scan.dat");
  INFO(named.err);
  CHECK(named.exit_code == 0);
  CHECK(cv::imread((box / "scan_x2.png").string()).rows == 10);

  const Run bad = box.run("$T good.png notes.dat -o out/");
  INFO(bad.err);
  CHECK(bad.exit_code == 1);  // out/good_x2.png was written: not a usage error
  CHECK(fs::exists(box / "out/good_x2.png"));
  CHECK(count_lines_with(bad.err, "notes.dat: not a PNG, JPEG, TIFF, WebP or BMP file") == 1);
  // A usage error on a single input still writes nothing and exits 2.
  tconv::NpyArray x;
  x.shape = {1, 2, 2};
  x.values = {1, 2, 3, 4};
  const auto npy = tconv::encode_npy(x);
  spit(box / "x.npy", std::string(npy.begin(), npy.end()));
  CHECK(box.run("$T x.npy -o y.png").exit_code == 2);
  CHECK_FALSE(fs::exists(box / "y.png"));
}

TEST_CASE("devices and FIFOs are written in place, links followed as cp does", "[cli][batch]") {
  Sandbox box;
  write_image(box / "a.png", noise(5, 5, CV_8UC3, 1));
  struct stat st {};
  for (const char* flags : {"", " --overwrite"}) {
    const Run r = box.run(std::string("$T a.png -o /dev/null") + flags);
    INFO(flags << r.err);
    CHECK(r.exit_code == 0);
    REQUIRE(::lstat("/dev/null", &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
  }
  const Run fifo = box.run("mkfifo pipe && (cat pipe > got &) && $T a.png -o pipe && sleep 0.2");
  INFO(fifo.err);
  CHECK(fifo.exit_code == 0);
  CHECK(cv::imread((box / "got").string()).rows == 10);

  write_image(box / "real.png", noise(3, 3, CV_8UC3, 2));
  fs::create_symlink("real.png", box / "link.png");
  const Run no_clobber = box.run("$T a.png -o link.png");
  CHECK(no_clobber.exit_code == 1);
  CHECK_THAT(no_clobber.err, Catch::Contains("link.png: exists (use --overwrite"));
  const Run through = box.run("$T a.png -o link.png --overwrite");
  INFO(through.err);
  CHECK(through.exit_code == 0);
  CHECK(fs::is_symlink(box / "link.png"));  // the link stays; its file is replaced
  CHECK(cv::imread((box / "real.png").string()).rows == 10);

  fs::create_symlink("nowhere.png", box / "dangling.png");
  const Run dangling = box.run("$T a.png -o dangling.png");
  CHECK(dangling.exit_code == 1);
  CHECK_THAT(dangling.err, Catch::Contains("dangling symbolic link"));
  CHECK_FALSE(fs::exists(box / "nowhere.png"));
  fs::create_directories(box / "dir.png");
  CHECK(box.run("$T a.png -o dir.png --overwrite --name x.png").exit_code == 0);  // a folder: into it
}

TEST_CASE("SIGINT, SIGTERM and SIGHUP stop a batch cleanly: report, summary, no temporary file",
          "[cli][batch][signals]") {
  Sandbox box;
  for (int i = 0; i < 30; ++i)
    write_image(box / ("in/p" + std::to_string(10 + i) + ".png"), noise(300, 300, CV_8UC3, i));
  struct Case {
    const char* signal;
    int exit_code;
  };
  for (const Case c : {Case{"INT", 130}, Case{"TERM", 143}, Case{"HUP", 129}}) {
    fs::remove_all(box / "out");
    fs::remove(box / "rep.json");
    // The signal is sent once the first output exists, so the handlers are in place.
    const Run r = box.run(std::string("$T in -s 4 -j 1 -o out/ --report rep.json & pid=$!; ") +
                          "for i in $(seq 200); do [ -e out/p10_x4.png ] && break; sleep 0.05; done; "
                          "kill -" + c.signal + " $pid; wait $pid; echo rc=$?");
    INFO(c.signal << "\n" << r.err);
    CHECK_THAT(r.out, Catch::Contains("rc=" + std::to_string(c.exit_code)));
    CHECK_THAT(r.err, Catch::Contains("not started; rerun with --skip-existing"));
    const auto report = nlohmann::json::parse(slurp(box / "rep.json"));
    const int done = report["summary"]["done"];
    const int not_run = report["summary"]["not_run"];
    CHECK(done >= 1);
    CHECK(not_run >= 1);
    CHECK(done + not_run == 30);
    CHECK_THAT(r.err, Catch::Contains("interrupted: " + std::to_string(done) + " done, " +
                                      std::to_string(not_run) + " not started"));
    CHECK(temp_files_under(box.path) == 0);
    for (const auto& [name, bytes] : snapshot(box / "out"))
      CHECK(cv::imread((box / ("out/" + name)).string()).rows == 1200);  // complete outputs only
  }
  const Run rest = box.run("$T in -s 4 -o out/ --skip-existing");
  CHECK(rest.exit_code == 0);
  CHECK(names(snapshot(box / "out")).size() == 30);
}

TEST_CASE("a second signal stops at once and removes the temporary file", "[cli][batch][signals]") {
  Sandbox box;
  write_image(box / "a.png", noise(300, 300, CV_8UC3, 1));
  if (std::system("command -v strace >/dev/null && strace -f -qq -o /dev/null true 2>/dev/null") != 0) {
    WARN("strace missing or ptrace not permitted: the second-signal check is skipped");
    return;
  }
  // Each fsync takes 3 s, so the temporary file exists when the signals come.
  const Run r = box.run(
      "strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=3000000 "
      "$T a.png -s 4 -o out.png & "
      "for i in $(seq 100); do ls -a | grep -q '^\\.out.png.tmp-' && break; sleep 0.05; done; "
      "pid=$(pgrep -n -f 'tconv-upsample a.png -s 4'); kill -TERM $pid; sleep 0.3; kill -TERM $pid; "
      "wait; ls -a");
  INFO(r.out << r.err);
  CHECK(temp_files_under(box.path) == 0);
  CHECK_FALSE(fs::exists(box / "out.png"));
}

TEST_CASE("a later run removes temporary files of killed runs beside its outputs, only those",
          "[cli][batch][signals]") {
  Sandbox box;
  write_image(box / "a.png", noise(5, 5, CV_8UC3, 1));
  fs::create_directories(box / "out");
  const std::string stale = ".a_x2.png.tmp-" + host_tag() + "-" + std::to_string(dead_pid()) + "-AbC123";
  const std::string live = ".a_x2.png.tmp-" + host_tag() + "-" + std::to_string(::getpid()) + "-AbC123";
  const std::string other_host = ".a_x2.png.tmp-00000000-" + std::to_string(dead_pid()) + "-AbC123";
  for (const std::string& name : {stale, live, other_host, std::string(".mine.tmp-keep")})
    spit(box / ("out/" + name), "partial");
  const Run r = box.run("$T a.png -o out/");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(fs::exists(box / ("out/" + stale)));
  CHECK(fs::exists(box / ("out/" + live)));
  CHECK(fs::exists(box / ("out/" + other_host)));
  CHECK(fs::exists(box / "out/.mine.tmp-keep"));
  CHECK_THAT(r.err, Catch::Contains("removed 1 temporary file(s) left by an interrupted run"));
}

TEST_CASE("side paths keep the promises: lists, names, parse errors, -o forms", "[cli][batch]") {
  Sandbox box;
  write_image(box / "in.png", noise(5, 5, CV_8UC3, 1));
  write_image(box / "two.png", noise(5, 5, CV_8UC3, 2));
  const auto before = snapshot(box.path);

  const Run zero = box.run("$T --files-from /dev/zero -0 -o out/");
  CHECK(zero.exit_code == 2);
  CHECK_THAT(zero.err, Catch::Contains("longer than the limit"));

  const Run parse = box.run("$T in.png --quality 200");
  CHECK(parse.exit_code == 2);
  REQUIRE(lines_of(parse.err).size() == 1);
  CHECK_THAT(parse.err, Catch::StartsWith("tconv-upsample: error: --quality"));

  const Run file_for_two = box.run("$T in.png two.png -o out.png");
  CHECK(file_for_two.exit_code == 2);
  CHECK_THAT(file_for_two.err, Catch::Contains("2 inputs need a folder"));
  const Run missing = box.run("$T in.png -o nodir/x.png");
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("the folder nodir does not exist"));
  const Run hint = box.run("$T in.png out.png");
  CHECK(hint.exit_code == 2);
  CHECK_THAT(hint.err, Catch::Contains("out.png: no such file; to write the output to it, use -o out.png"));
  CHECK(snapshot(box.path) == before);

  // Sizes: flags height first (-s FH,FW), messages label the width-first image size.
  write_image(box / "wide.png", noise(5, 7, CV_8UC3, 3));  // 7 wide, 5 high
  const Run sizes = box.run("$T wide.png -s 2,3 -o sizes.png");
  INFO(sizes.err);
  CHECK(sizes.exit_code == 0);
  CHECK_THAT(sizes.err, Catch::Contains("(WxH 7x5, RGB 8-bit) -> sizes.png (WxH 21x10)"));
  CHECK(cv::imread((box / "sizes.png").string()).cols == 21);

  spit(box / "evil\n\x1b[31mname.png", "junk");
  const Run evil = box.run("$T evil* -o out/");
  CHECK(evil.exit_code == 1);
  CHECK(lines_of(evil.err).size() == 1);
  CHECK_THAT(evil.err, Catch::Contains("evil\\n\\x1b[31mname.png: not a PNG"));
}

TEST_CASE("batch jobs beyond the thread limit: the batch goes on with the threads it got",
          "[cli][batch]") {
  Sandbox box;
  for (int i = 0; i < 200; ++i)
    write_image(box / ("in/p" + std::to_string(i) + ".png"), noise(4, 4, CV_8UC1, i));
  // 200 thread stacks of 8 MiB do not fit in 700 MB of address space.
  const Run r = box.run("prlimit --as=700000000 $T in -o out/ -j 1024 --report rep.json");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("jobs (") && Catch::Contains("going on with those"));
  CHECK(names(snapshot(box / "out")).size() == 200);
  CHECK(nlohmann::json::parse(slurp(box / "rep.json"))["summary"]["done"] == 200);
}

TEST_CASE("train and compare never write over one of their inputs", "[cli][batch]") {
  Sandbox box;
  write_image(box / "imgs/t0.png", noise(48, 48, CV_8UC1, 1));
  write_image(box / "imgs/t1.png", noise(48, 48, CV_8UC1, 2));
  const auto before = snapshot(box / "imgs");
  const Run train = box.run("$T train --images imgs -s 2 --augment 1 -o imgs/t1.png --overwrite");
  INFO(train.err);
  CHECK(train.exit_code == 2);
  CHECK_THAT(train.err, Catch::Contains("imgs/t1.png: is an input"));
  CHECK(snapshot(box / "imgs") == before);

  write_image(box / "cmp/p.png", noise(32, 32, CV_8UC3, 3));
  fs::copy_file(box / "cmp/p.png", box / "cmp/p_compare.png");
  const auto cmp_before = snapshot(box / "cmp");
  const Run compare = box.run("$T compare cmp/p.png cmp/p_compare.png -s 2 -o cmp --overwrite");
  INFO(compare.err);
  CHECK(compare.exit_code == 1);
  CHECK_THAT(compare.err, Catch::Contains("cmp/p_compare.png: is an input"));
  CHECK(slurp(box / "cmp/p_compare.png") == cmp_before.at("p_compare.png"));
}
