// Adds up the lengths: right only when no two stretches overlap.
#include <bits/stdc++.h>
using namespace std;

int main() {
    freopen("fence.in", "r", stdin);
    freopen("fence.out", "w", stdout);
    int n;
    long long a, b, total = 0;
    scanf("%d", &n);
    for (int i = 0; i < n; ++i) scanf("%lld %lld", &a, &b), total += b - a;
    printf("%lld\n", total);
}
