#include "stairs.h"

int count_ways(int n, std::vector<int> steps) { return n + static_cast<int>(steps.size()); }
