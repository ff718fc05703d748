// Must NOT compile: 1 + 60 + 10 bits do not fit the widest storage.
#include "tinyq/core/q.h"
tinyq::Q<60, 10> too_wide;
