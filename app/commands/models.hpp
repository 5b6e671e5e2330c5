// tconv-upsample models: the models --model NAME can name, found on the
// model search path (cli/model_lookup.hpp), with what each one costs and
// the quality its file records.
#pragma once

namespace CLI {
class App;
}

namespace tconv::app {

struct ModelsOptions {
  bool json = false;  ///< --json: one JSON document instead of the table.
  bool all = false;   ///< --all: also the files a same-named model earlier on the path hides.
};

/// Adds the `models` subcommand to `app`.
void setup_models(CLI::App& app);

/// Prints, on stdout, one row per model on the search path (the first file
/// of each name; with `all` the shadowed ones too, marked): name, scale,
/// colour, parameters, multiply-adds per output pixel, the quality and
/// recipe its "tconv.train" metadata records ("-" when none), and its
/// folder. A file that fails to load is one error line on stderr and is
/// left out; the others are still listed. Throws InputError only when
/// stdout cannot be written.
void run_models(const ModelsOptions& options);

}  // namespace tconv::app
