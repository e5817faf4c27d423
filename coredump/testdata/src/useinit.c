/* Links libinit.so, whose constructor crashes before main runs. */
int table_value(void);

int main(void) { return table_value(); }
