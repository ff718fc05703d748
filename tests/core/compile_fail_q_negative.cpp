// Must NOT compile: a negative number of fractional bits is not a Q format.
#include "tinyq/core/q.h"
tinyq::Q<4, -1> negative;
