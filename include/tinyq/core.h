// Everything in tinyq/core: Q<m,n>, the shared integer primitives, fixed-point exp.
#pragma once
#include "core/exp.h"
#include "core/fixed_point.h"
#include "core/int_traits.h"
#include "core/q.h"
#include "core/span.h"
