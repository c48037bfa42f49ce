#pragma once
#include <vector>

int count_ways(int n, std::vector<int> steps);
