// Checker for "two sum": checker <input> <output> <expected>.
// Any valid pair is accepted; -1 is accepted only when the expected answer is -1.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

static int wrong(const std::string& why) {
    std::cerr << why << "\n";
    return 1;
}

int main(int argc, char** argv) {
    if (argc != 4) return 3;
    std::ifstream in(argv[1]), out(argv[2]), ans(argv[3]);
    long long n, x;
    in >> n >> x;
    std::vector<long long> a(n);
    for (auto& v : a) in >> v;
    long long expected_first;
    ans >> expected_first;
    std::string first_token;
    if (!(out >> first_token)) return wrong("empty output");
    long long i, j;
    try {
        i = std::stoll(first_token);
    } catch (...) {
        return wrong("not a number: " + first_token);
    }
    if (i == -1) return expected_first == -1 ? 0 : wrong("a pair exists but -1 was printed");
    if (!(out >> j)) return wrong("missing second index");
    if (!(1 <= i && i < j && j <= n)) return wrong("indices out of range or not i < j");
    if (a[i - 1] + a[j - 1] != x) return wrong("a_i + a_j != x");
    if (expected_first == -1) return 3;  // the reference missed a pair: the checker's data is wrong
    return 0;
}
