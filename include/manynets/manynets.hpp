// The whole public API of manynets in one include.
#pragma once

#include "manynets/backend.hpp"
#include "manynets/batch.hpp"
#include "manynets/dataset.hpp"
#include "manynets/error.hpp"
#include "manynets/init.hpp"
#include "manynets/limits.hpp"
#include "manynets/presets.hpp"
#include "manynets/reference.hpp"
#include "manynets/results.hpp"
#include "manynets/shapes.hpp"
#include "manynets/summary.hpp"
#include "manynets/sweep.hpp"
#include "manynets/types.hpp"
#include "manynets/validate.hpp"
#include "manynets/version.hpp"
#include "manynets/writers.hpp"
