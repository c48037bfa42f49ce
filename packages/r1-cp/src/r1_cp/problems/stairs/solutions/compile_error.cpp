#include "stairs.h"

int count_ways(int n, std::vector<int> steps) {
    return ways[n];  // `ways` was never declared
}
