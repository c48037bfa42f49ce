#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    unsigned long long g = 0, v;
    for (int i = 0; i < n; ++i) cin >> v, g = gcd(g, v);
    cout << g << "\n";
}
