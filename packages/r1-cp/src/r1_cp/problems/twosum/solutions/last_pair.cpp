// Another valid answer: the pair whose smaller index is largest (scanning from the right).
#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    long long x;
    scanf("%d %lld", &n, &x);
    vector<long long> a(n);
    for (auto& v : a) scanf("%lld", &v);
    unordered_map<long long, int> later;
    for (int i = n - 1; i >= 0; --i) {
        auto it = later.find(x - a[i]);
        if (it != later.end()) {
            printf("%d %d\n", i + 1, it->second + 1);
            return 0;
        }
        later[a[i]] = i;
    }
    printf("-1\n");
}
