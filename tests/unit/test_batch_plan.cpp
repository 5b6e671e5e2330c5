// Batch planning without images: input expansion, naming, mirroring,
// collisions, shards. Files are empty; only their names and identities matter.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

#include "batch/batch.hpp"
#include "cli/exit_codes.hpp"

namespace fs = std::filesystem;
using namespace tconv::app;

namespace {

struct Tree {
  fs::path root;
  Tree() {
    static int counter = 0;
    root = fs::temp_directory_path() /
           ("tconv_plan_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(root);
    fs::create_directories(root);
  }
  ~Tree() { fs::remove_all(root); }
  std::string touch(const std::string& rel) const {
    const fs::path p = root / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p).put('x');
    return p.string();
  }
  [[nodiscard]] std::string operator/(const std::string& rel) const { return (root / rel).string(); }
};

BatchSpec spec_of(std::vector<std::string> inputs, std::string output = "") {
  BatchSpec s;
  s.inputs = std::move(inputs);
  s.output = std::move(output);
  s.scale = "2";
  return s;
}

std::vector<std::string> outputs_of(const BatchPlan& plan) {
  std::vector<std::string> out;
  for (const auto& item : plan.items) out.push_back(item.output);
  return out;
}

}  // namespace

TEST_CASE("output names follow the template", "[batch]") {
  CHECK(output_name(kDefaultNameTemplate, "dir/photo.JPG", "2", "JPG") == "photo_x2.JPG");
  CHECK(output_name(kDefaultNameTemplate, "a.b.png", "2x3", "webp") == "a.b_x2x3.webp");
  CHECK(output_name("{name}.{ext}", "x.png", "2", "tif") == "x.png.tif");
  CHECK(output_name("{{{stem}}}", "x.png", "2", "png") == "{x}");
  CHECK_THROWS_WITH(output_name("{stem}_{size}", "x.png", "2", "png"),
                    Catch::Contains("unknown field {size}"));
  CHECK_THROWS_AS(output_name("{stem", "x.png", "2", "png"), UsageError);
  CHECK_THROWS_WITH(output_name("a}b", "x.png", "2", "png"), Catch::Contains("unmatched '}'"));
  CHECK_THROWS_WITH(output_name("sub/{stem}", "x.png", "2", "png"), Catch::Contains("'/'"));
  CHECK_THROWS_WITH(output_name("", "x.png", "2", "png"), Catch::Contains("empty file name"));
}

TEST_CASE("shard, format and path-list parsing", "[batch]") {
  CHECK(parse_shard("1/4").index == 0);
  CHECK(parse_shard("4/4").index == 3);
  CHECK(parse_shard("4/4").count == 4);
  for (const char* bad : {"0/4", "5/4", "1/0", "1", "a/b", "1/4x", "-1/4", "/4"})
    CHECK_THROWS_AS(parse_shard(bad), UsageError);
  CHECK(canonical_format("JPEG") == "jpg");
  CHECK(canonical_format("tiff") == "tif");
  CHECK_FALSE(canonical_format("gif"));
  CHECK(has_batch_extension("a/B.TIFF"));
  CHECK_FALSE(has_batch_extension("notes.txt"));
  CHECK_FALSE(has_batch_extension("png"));
  std::istringstream lines("a.png\n\nb c.png\nlast.png");
  CHECK(read_path_list(lines, false) == std::vector<std::string>{"a.png", "b c.png", "last.png"});
  std::istringstream nul(std::string("x\ny.png\0\0z.png\0", 15));
  CHECK(read_path_list(nul, true) == std::vector<std::string>{"x\ny.png", "z.png"});
  // FNV-1a 64 reference values: the hash must not change between versions.
  CHECK(stable_hash("") == 14695981039346656037ull);
  CHECK(stable_hash("a") == 0xaf63dc4c8601ec8cull);
}

TEST_CASE("directories give their image files in sorted order; -r mirrors subfolders", "[batch]") {
  Tree t;
  for (const char* f : {"b.png", "a.JPG", "c.txt", ".hidden.png", "sub/d.tif", "sub/deep/e.webp",
                        "z.npy"})
    t.touch(f);
  const BatchPlan flat = plan_batch(spec_of({t.root.string()}, t / "out"));
  CHECK(flat.output_dir);
  CHECK(outputs_of(flat) == std::vector<std::string>{t / "out/a_x2.JPG", t / "out/b_x2.png",
                                                     t / "out/z_x2.npy"});
  BatchSpec rec = spec_of({t.root.string()}, t / "out/");
  rec.recursive = true;
  rec.format = "png";
  const BatchPlan deep = plan_batch(rec);
  CHECK(outputs_of(deep) == std::vector<std::string>{t / "out/a_x2.png", t / "out/b_x2.png",
                                                     t / "out/sub/d_x2.png",
                                                     t / "out/sub/deep/e_x2.png",
                                                     t / "out/z_x2.png"});
  CHECK(deep.items[3].key == "sub/deep/e_x2.png");
  // Without -o, each output lands beside its input.
  rec.output.clear();
  const BatchPlan beside = plan_batch(rec);
  CHECK(beside.items[3].output == t / "sub/deep/e_x2.png");
  // An output directory inside the walked tree is not walked: a rerun does
  // not take earlier outputs as inputs.
  t.touch("out/a_x2.png");
  rec.output = t / "out";
  CHECK(plan_batch(rec).matched == 5);
  rec.output = t / "out/";
  CHECK(plan_batch(rec).matched == 5);
  rec.output.clear();
  CHECK(plan_batch(rec).matched == 6);  // without -o nothing is left out
  // An empty directory matches nothing.
  fs::create_directories(t / "empty");
  CHECK(plan_batch(spec_of({t / "empty"})).matched == 0);
}

TEST_CASE("listed paths keep their relative path under -o DIR", "[batch]") {
  Tree t;
  const std::string outside = t.touch("x/y.png");
  const fs::path cwd = fs::current_path();
  fs::current_path(t.root);
  BatchSpec s = spec_of({}, "out");
  s.listed = {"./sub/a.png", "sub/../b.png", outside, "../elsewhere/c.png", "-"};
  s.from_list = true;
  const BatchPlan plan = plan_batch(s);
  CHECK(plan.output_dir);
  CHECK(outputs_of(plan) == std::vector<std::string>{"out/sub/a_x2.png", "out/b_x2.png",
                                                     "out/y_x2.png", "out/c_x2.png", "out/-_x2.png"});
  CHECK(plan.items[4].input == "./-");  // a file named "-", never stdin
  fs::current_path(cwd);
}

TEST_CASE("the output (-o) is a file for one input, a directory otherwise", "[batch]") {
  Tree t;
  const std::string a = t.touch("a.png");
  const std::string b = t.touch("b.png");
  CHECK(outputs_of(plan_batch(spec_of({a}, t / "big.png"))) == std::vector<std::string>{t / "big.png"});
  // Several inputs: -o names a directory even without a trailing slash,
  // unless the name has an image extension: that is a file name, refused.
  const BatchPlan two = plan_batch(spec_of({a, b}, t / "big"));
  CHECK(two.output_dir);
  CHECK(outputs_of(two) == std::vector<std::string>{t / "big/a_x2.png", t / "big/b_x2.png"});
  CHECK_THROWS_WITH(plan_batch(spec_of({a, b}, t / "big.png")),
                    Catch::Contains("2 inputs need a folder") && Catch::Contains("big.png/"));
  CHECK(outputs_of(plan_batch(spec_of({a, b}, t / "big.png/"))) ==
        std::vector<std::string>{t / "big.png/a_x2.png", t / "big.png/b_x2.png"});
  // -o FILE in a folder that does not exist names the folder.
  CHECK_THROWS_WITH(plan_batch(spec_of({a}, t / "missing/x.png")),
                    Catch::Contains("the folder " + t / "missing" + " does not exist"));
  // An existing directory or a trailing slash: a directory for one input too.
  fs::create_directories(t / "out");
  CHECK(outputs_of(plan_batch(spec_of({a}, t / "out"))) == std::vector<std::string>{t / "out/a_x2.png"});
  CHECK(outputs_of(plan_batch(spec_of({a}, t / "new/"))) == std::vector<std::string>{t / "new/a_x2.png"});
  CHECK(plan_batch(spec_of({a}, "-")).to_stdout);
  CHECK_THROWS_WITH(plan_batch(spec_of({a, b}, "-")), Catch::Contains("stdout takes one image"));
  CHECK_THROWS_WITH(plan_batch(spec_of({"-", "-"}, "-")), Catch::Contains("only once"));
  CHECK_THROWS_WITH(plan_batch(spec_of({"-"})), Catch::Contains("reading stdin needs -o"));
  CHECK_THROWS_WITH(plan_batch(spec_of({"-", a}, t / "out")), Catch::Contains("give --format"));
  BatchSpec bad = spec_of({a});
  bad.format = "gif";
  CHECK_THROWS_WITH(plan_batch(bad), Catch::Contains("--format gif: unknown format"));
}

TEST_CASE("two inputs with one output: the second fails, nothing is written over an input",
          "[batch]") {
  Tree t;
  const std::string png = t.touch("a.png");
  const std::string jpg = t.touch("a.jpg");
  BatchSpec s = spec_of({png, jpg}, t / "out/");
  s.format = "png";
  const BatchPlan plan = plan_batch(s);
  REQUIRE(plan.items.size() == 2);
  CHECK(plan.items[0].error.empty());
  CHECK_THAT(plan.items[1].error, Catch::Contains("is also the output of " + png));

  // a.png's default output a_x2.png, named as an input too (a second run of
  // a shell glob in place), is a.png's output and not an input; so is an
  // output of that output (a third run of an older version).
  const std::string x2 = t.touch("a_x2.png");
  const std::string x2x2 = t.touch("a_x2_x2.png");
  const BatchPlan over = plan_batch(spec_of({png, x2, x2x2}));
  REQUIRE(over.items.size() == 1);
  CHECK(over.items[0].input == png);
  CHECK(over.items[0].output == x2);
  CHECK(over.items[0].error.empty());
  CHECK(over.outputs_not_inputs == std::vector<std::string>{x2, x2x2});
  CHECK(over.matched == 1);

  // An output that is another input under a different name (a hard link)
  // fails, or is a skip with --skip-existing.
  fs::remove(x2);
  fs::create_hard_link(jpg, x2);
  BatchSpec linked = spec_of({png, jpg});
  const BatchPlan clash = plan_batch(linked);
  REQUIRE(clash.items.size() == 2);
  CHECK_THAT(clash.items[0].error, Catch::Contains("is an input of this batch (" + jpg + ")"));
  linked.skip_existing = true;
  const BatchPlan skipped = plan_batch(linked);
  CHECK(skipped.items[0].error.empty());
  CHECK_THAT(skipped.items[0].skip, Catch::Contains("is an input of this batch"));

  // A hard link to the input, named as the output, is the input.
  fs::create_hard_link(png, t / "link.png");
  const BatchPlan link = plan_batch(spec_of({png}, t / "link.png"));
  CHECK_THAT(link.items[0].error, Catch::Contains("is the input file"));
}

TEST_CASE("shards partition the inputs, each exactly once, the same on every run", "[batch]") {
  Tree t;
  std::vector<std::string> all;
  for (int i = 0; i < 60; ++i) all.push_back(t.touch("in/f" + std::to_string(i) + ".png"));
  for (int n : {1, 2, 3, 7}) {
    std::multiset<std::string> seen;
    for (int k = 1; k <= n; ++k) {
      BatchSpec s = spec_of({t / "in"}, t / "out/");
      s.shard = parse_shard(std::to_string(k) + "/" + std::to_string(n));
      const BatchPlan plan = plan_batch(s);
      CHECK(plan.matched == 60);
      CHECK(outputs_of(plan) == outputs_of(plan_batch(s)));  // deterministic
      for (const auto& item : plan.items) seen.insert(item.input);
    }
    INFO("N = " << n);
    CHECK(seen.size() == 60);
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 60);
  }
  // The key is the output path relative to -o, so another output root or a
  // different checkout location gives the same split.
  BatchSpec here = spec_of({t / "in"}, t / "out/");
  BatchSpec there = spec_of({t / "in"}, t / "elsewhere/");
  here.shard = there.shard = parse_shard("2/3");
  std::vector<std::string> a;
  std::vector<std::string> b;
  for (const auto& i : plan_batch(here).items) a.push_back(i.input);
  for (const auto& i : plan_batch(there).items) b.push_back(i.input);
  CHECK(a == b);
  CHECK_FALSE(a.empty());
}

TEST_CASE("a folder processed in place twice: the first run's outputs are not inputs", "[batch]") {
  Tree t;
  t.touch("photos/a.png");
  t.touch("photos/b.jpg");
  t.touch("photos/a_x2.png");  // written by the first run
  t.touch("photos/b_x2.jpg");
  t.touch("photos/c_x2.png");  // no c.png: an input like any other
  const BatchPlan plan = plan_batch(spec_of({t / "photos"}));
  std::vector<std::string> inputs;
  for (const auto& item : plan.items) inputs.push_back(item.input);
  CHECK(inputs == std::vector<std::string>{t / "photos/a.png", t / "photos/b.jpg", t / "photos/c_x2.png"});
  CHECK(plan.outputs_not_inputs.size() == 2);
}

TEST_CASE("an input's kind comes from its bytes when its extension names no format", "[batch]") {
  Tree t;
  const std::string dat = t.touch("scan.dat");
  const std::string bare = t.touch("README");
  BatchSpec s = spec_of({dat, bare}, t / "out/");
  s.content_extension = [&](const std::string& input) -> std::optional<std::string> {
    if (input == dat) return "jpg";
    return std::nullopt;
  };
  CHECK(outputs_of(plan_batch(s)) == std::vector<std::string>{t / "out/scan_x2.jpg", t / "out/README_x2.png"});
}

TEST_CASE("a second input that does not exist and looks like an output gets a hint", "[batch]") {
  Tree t;
  const std::string a = t.touch("in.png");
  CHECK_THROWS_WITH(plan_batch(spec_of({a, t / "out.png"})),
                    Catch::Contains("no such file; to write the output to it, use -o " + t / "out.png"));
  // Not for a list of inputs, nor when the first one is missing too.
  CHECK_NOTHROW(plan_batch(spec_of({a, t / "out.png", t / "more.png"})));
  CHECK_NOTHROW(plan_batch(spec_of({t / "gone.png", t / "out.png"})));
}

TEST_CASE("a path list longer than the limit is refused while it is read", "[batch]") {
  std::istringstream big(std::string(5000, 'x'));
  CHECK_THROWS_WITH(read_path_list(big, false, 4096), Catch::Contains("longer than the limit of 4096"));
  std::istringstream small("a.png\nb.png\n");
  CHECK(read_path_list(small, false, 4096) == std::vector<std::string>{"a.png", "b.png"});
}

TEST_CASE("list_directory: one extension set per listing, sorted, hidden and linked folders out",
          "[batch]") {
  Tree t;
  for (const char* name : {"b.png", "a.JPG", "c.exr", "d.npy", ".hidden.png", "notes.txt",
                           "sub/e.tif", "out/f.png"})
    t.touch(name);
  fs::create_directory_symlink(t.root / "sub", t.root / "link");
  auto names = [&](const std::vector<ListedFile>& files) {
    std::vector<std::string> out;
    for (const ListedFile& f : files) {
      CHECK(f.error.empty());
      out.push_back(f.rel.generic_string());
    }
    return out;
  };
  CHECK(names(list_directory(t.root, false, Listing::kImages)) ==
        std::vector<std::string>{"a.JPG", "b.png"});
  CHECK(names(list_directory(t.root, false, Listing::kImagesAndArrays)) ==
        std::vector<std::string>{"a.JPG", "b.png", "d.npy"});
  CHECK(names(list_directory(t.root, true, Listing::kImages)) ==
        std::vector<std::string>{"a.JPG", "b.png", "out/f.png", "sub/e.tif"});
  // The output folder is not entered.
  CHECK(names(list_directory(t.root, true, Listing::kImages,
                             fs::weakly_canonical(t.root / "out").string())) ==
        std::vector<std::string>{"a.JPG", "b.png", "sub/e.tif"});
  const auto missing = list_directory(t.root / "nope", false, Listing::kImages);
  REQUIRE(missing.size() == 1);
  CHECK_THAT(missing[0].error, Catch::Contains("cannot list directory"));
  CHECK_FALSE(has_listed_extension("x.npy", Listing::kImages));
  CHECK(has_listed_extension("x.NPY", Listing::kImagesAndArrays));
  CHECK_FALSE(has_listed_extension("x.exr", Listing::kImagesAndArrays));
}
