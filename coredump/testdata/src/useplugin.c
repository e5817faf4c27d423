/* Calls into libplugin.so, linked at build time. */
void plugin_run(int v);

int main(void) {
	plugin_run(3);
	return 0;
}
