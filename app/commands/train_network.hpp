// tconv-upsample train --arch NAME: trains a network (tconv/train/) on
// patches of MATLAB-bicubic LR/HR pairs with Adam, keeps the best model on
// a held-out validation split, checkpoints and resumes.
#pragma once

#include "commands/train.hpp"

namespace tconv::app {

/// Runs `train` with --arch. Throws UsageError, InputError, OutputExists,
/// NothingToDoError, Interrupted or tconv::Error.
void run_train_network(const TrainOptions& options);

}  // namespace tconv::app
