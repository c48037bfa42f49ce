#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    long long x;
    scanf("%d %lld", &n, &x);
    unordered_map<long long, int> seen;
    seen.reserve(n * 2);
    for (int j = 1; j <= n; ++j) {
        long long v;
        scanf("%lld", &v);
        auto it = seen.find(x - v);
        if (it != seen.end()) {
            printf("%d %d\n", it->second, j);
            return 0;
        }
        seen.emplace(v, j);
    }
    printf("-1\n");
}
